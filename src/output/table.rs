//! Tables for the human view: one preset for every command, columns sized
//! to the terminal when stdout is one (and left at natural width in pipes).

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

/// A new table with a header row.
pub fn new<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

/// A two-column "field / value" table for summaries.
pub fn key_values<'a>(rows: impl IntoIterator<Item = (&'a str, String)>) -> Table {
    let mut table = new(["field", "value"]);
    for (k, v) in rows {
        table.add_row([k.to_owned(), v]);
    }
    table
}

/// Right-align the numeric columns (by index).
pub fn align_right(table: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// Write a table followed by a newline.
pub fn write(out: &mut dyn Write, table: &Table) -> io::Result<()> {
    writeln!(out, "{table}")
}

/// Write a section title and its table.
pub fn write_titled(out: &mut dyn Write, title: &str, table: &Table) -> io::Result<()> {
    writeln!(out, "{title}")?;
    writeln!(out, "{table}")
}
