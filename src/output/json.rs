//! JSON writers: a whole document, JSON Lines for streams, and a JSON array
//! written element by element so that its size is never held in memory.

use std::io::{self, Write};

use serde::Serialize;

/// One pretty-printed document and a newline.
pub fn write_document(out: &mut dyn Write, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// One compact object per line, flushed per line so a reader downstream
/// (`jq`, a pipe to a script) sees events as they happen.
pub struct JsonLines<W: Write> {
    out: W,
    flush_each: bool,
    /// One line is serialized here and written whole: serde writes token
    /// by token, and a writer per token costs more than the copy.
    line: Vec<u8>,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> JsonLines<W> {
        JsonLines {
            out,
            flush_each: true,
            line: Vec::new(),
        }
    }

    /// Lines are not flushed one by one: for high-rate streams whose
    /// producer calls [`JsonLines::flush`] whenever it goes idle, so a
    /// reader still sees every line without one write per line.
    pub fn batched(out: W) -> JsonLines<W> {
        JsonLines {
            out,
            flush_each: false,
            line: Vec::new(),
        }
    }

    pub fn write(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(io::Error::from)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer underneath.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

/// A JSON array streamed element by element: `[`, elements separated by
/// commas one per line, then `]` from [`JsonArray::finish`].
pub struct JsonArray<W: Write> {
    out: W,
    count: u64,
}

impl<W: Write> JsonArray<W> {
    pub fn new(out: W) -> JsonArray<W> {
        JsonArray { out, count: 0 }
    }

    pub fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"[\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)?;
        self.count += 1;
        Ok(())
    }

    /// Close the array; always call it, also after an error in the input,
    /// so that the output stays valid JSON.
    pub fn finish(mut self) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}
