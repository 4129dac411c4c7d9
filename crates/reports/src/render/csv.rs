//! CSV (RFC 4180, UTF-8, CRLF): a header, the rows, a blank row, then one
//! row per meta item with its label in the second-to-last column and its
//! value in the last, as the old reports had it. Text cells are defused
//! against formula injection; numbers stay numbers. Several tables are
//! the entries of a ZIP, written as a stream (no seeking back).

use super::{Head, Renderer, Sink, entry_name};
use crate::cell::{Cell, Column, RowKind};
use crate::run::{MetaItem, ReportError};
use chrono_tz::Tz;
use std::io::Write;
use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

enum Target {
    /// One table: the CSV writer writes to the output directly.
    Plain,
    /// Several: the CSV writer writes to `staging`, moved into the ZIP entry.
    Zip { zip: Box<ZipWriter<StreamWriter<Sink>>>, staging: Sink, names: Vec<String> },
}

pub(crate) struct Csv {
    writer: csv::Writer<Sink>,
    target: Target,
    tz: Tz,
    width: usize,
}

impl Csv {
    pub(crate) fn new(sink: Sink, several: bool, tz: Tz) -> Csv {
        let builder = || {
            let mut b = csv::WriterBuilder::new();
            b.terminator(csv::Terminator::CRLF).flexible(true);
            b
        };
        if several {
            let staging = Sink::default();
            Csv {
                writer: builder().from_writer(staging.clone()),
                target: Target::Zip { zip: Box::new(ZipWriter::new_stream(sink)), staging, names: Vec::new() },
                tz,
                width: 0,
            }
        } else {
            Csv { writer: builder().from_writer(sink), target: Target::Plain, tz, width: 0 }
        }
    }

    /// Moves what the CSV writer produced into the ZIP entry (`all`: even
    /// a partial chunk).
    fn pump(&mut self, all: bool) -> Result<(), ReportError> {
        if let Target::Zip { zip, staging, .. } = &mut self.target
            && (all || staging.len() >= super::CHUNK)
        {
            self.writer.flush()?;
            if let Some(bytes) = staging.take(0)? {
                zip.write_all(&bytes)?;
            }
        }
        Ok(())
    }

    fn record<'a>(&mut self, fields: impl IntoIterator<Item = std::borrow::Cow<'a, str>>) -> Result<(), ReportError> {
        for f in fields {
            self.writer.write_field(f.as_bytes()).map_err(ReportError::render)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(ReportError::render)
    }
}

impl Renderer for Csv {
    fn begin(&mut self, _head: &Head<'_>) -> Result<(), ReportError> {
        Ok(())
    }

    fn begin_table(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError> {
        if let Target::Zip { zip, names, .. } = &mut self.target {
            let entry = format!("{}.csv", entry_name(name, names, 120));
            let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            zip.start_file(entry, options).map_err(ReportError::render)?;
        }
        self.width = columns.len();
        self.record(columns.iter().map(|c| std::borrow::Cow::Borrowed(c.name.as_str())))?;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell], _kind: RowKind) -> Result<(), ReportError> {
        let tz = self.tz;
        self.record(cells.iter().map(|c| c.spreadsheet(tz)))?;
        self.pump(false)
    }

    fn end_table(&mut self, meta: &[MetaItem], _chart: Option<&str>) -> Result<(), ReportError> {
        if !meta.is_empty() {
            let width = self.width.max(2);
            self.record((0..width).map(|_| "".into()))?;
            let tz = self.tz;
            for m in meta {
                let mut fields: Vec<std::borrow::Cow<'_, str>> = (0..width - 2).map(|_| "".into()).collect();
                fields.push(crate::cell::neutralise(&m.label));
                fields.push(m.value.spreadsheet(tz));
                self.record(fields)?;
            }
        }
        self.writer.flush()?;
        self.pump(true)
    }

    fn finish(mut self: Box<Self>) -> Result<Option<std::fs::File>, ReportError> {
        self.writer.flush()?;
        self.pump(true)?;
        if let Target::Zip { zip, .. } = self.target {
            zip.finish().map_err(ReportError::render)?;
        }
        Ok(None)
    }
}
