//! Aligned columns for streams of rows whose end is not known in advance
//! (decoded frames, replication feeds, sniffed commands). A full table
//! needs every row before it can size its columns; these columns have fixed
//! widths chosen up front, like `ss` or `tcpdump`, so memory stays flat.
//! The last column is free text and may span several lines; continuation
//! lines are indented under it.

use std::io::{self, Write};

/// A column: its title, width and whether numbers align right.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub title: &'static str,
    pub width: usize,
    pub right: bool,
}

impl Column {
    pub const fn left(title: &'static str, width: usize) -> Column {
        Column {
            title,
            width,
            right: false,
        }
    }
    pub const fn right(title: &'static str, width: usize) -> Column {
        Column {
            title,
            width,
            right: true,
        }
    }
}

/// Writes a header once, then rows.
pub struct Columns<W: Write> {
    out: W,
    columns: Vec<Column>,
    header_written: bool,
}

impl<W: Write> Columns<W> {
    /// `columns` are the fixed ones; a final free-text column titled
    /// `last` follows them.
    pub fn new(out: W, columns: Vec<Column>, last: &'static str) -> Columns<W> {
        let mut columns = columns;
        columns.push(Column::left(last, 0));
        Columns {
            out,
            columns,
            header_written: false,
        }
    }

    fn line(&mut self, cells: &[&str]) -> io::Result<()> {
        let mut text = String::new();
        for (i, (col, cell)) in self.columns.iter().zip(cells).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = col.width.saturating_sub(cell.chars().count());
            let last = i + 1 == self.columns.len();
            if col.right {
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if !last {
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(self.out, "{}", text.trim_end())
    }

    /// Write one row; `cells` has one entry per fixed column plus the free
    /// text, which may contain newlines.
    pub fn row(&mut self, cells: &[&str]) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            let titles: Vec<&str> = self.columns.iter().map(|c| c.title).collect();
            self.line(&titles)?;
        }
        let fixed = self.columns.len() - 1;
        let free = cells.get(fixed).copied().unwrap_or("");
        let mut lines = free.split('\n');
        let mut first: Vec<&str> = cells.iter().take(fixed).copied().collect();
        first.push(lines.next().unwrap_or(""));
        self.line(&first)?;
        let blanks = vec![""; fixed];
        for more in lines {
            let mut cont = blanks.clone();
            cont.push(more);
            self.line(&cont)?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer underneath, for text that follows the rows (a summary).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}
