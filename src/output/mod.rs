//! Rendering reports for people and for scripts.
//!
//! Every command builds a plain `Serialize` struct and hands it here. The
//! JSON view is serde's rendering of that struct; the table view is the
//! [`Report::table`] method of the same struct, so the two never drift.
//! Streaming commands write one JSON object per line ([`json::JsonLines`])
//! or aligned rows ([`stream::Columns`]) as events happen.
//!
//! - [`bytes`]: the bytes rule (UTF-8 as text, else base64 / escapes).
//! - [`table`]: comfy-table with our preset, sized to the terminal.
//! - [`json`]: one document, JSON Lines, or a streamed array.
//! - [`stream`]: aligned columns for unbounded row streams.
//! - [`progress`]: indicatif bars, only on a terminal.
//! - [`frame`]: redis-cli-style rendering of RESP frames.
//! - [`log`]: structured logs (text or JSON Lines) for long-running commands.
//! - [`metrics`]: a Prometheus endpoint for the long-running client commands.

pub mod bytes;
pub mod frame;
pub mod json;
pub mod log;
pub mod metrics;
pub mod progress;
pub mod stream;
pub mod table;

use std::io::{self, Write};

use serde::Serialize;

/// How a report is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables.
    #[default]
    Table,
    /// JSON for scripts (JSON Lines for streaming commands).
    Json,
}

/// A finished report: serializable for JSON, renderable as tables.
pub trait Report: Serialize {
    /// Write the human view.
    fn table(&self, out: &mut dyn Write) -> io::Result<()>;
}

/// Write `report` in `format`.
pub fn emit(format: Format, report: &dyn ReportDyn, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => report.table_dyn(out),
        Format::Json => report.json_dyn(out),
    }
}

/// Object-safe face of [`Report`], so `emit` takes any report by reference.
pub trait ReportDyn {
    fn table_dyn(&self, out: &mut dyn Write) -> io::Result<()>;
    fn json_dyn(&self, out: &mut dyn Write) -> io::Result<()>;
}

impl<T: Report> ReportDyn for T {
    fn table_dyn(&self, out: &mut dyn Write) -> io::Result<()> {
        self.table(out)
    }
    fn json_dyn(&self, out: &mut dyn Write) -> io::Result<()> {
        json::write_document(out, self)
    }
}
