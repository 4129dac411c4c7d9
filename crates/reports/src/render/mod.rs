//! The renderers: each gets the report's tables and rows one at a time and
//! writes to a shared chunk buffer ([`Sink`]), which the report drains into
//! the caller's async writer whenever a chunk is full. Nothing holds more
//! than a chunk of output (XLSX keeps its sheets in temporary files, as
//! `rust_xlsxwriter`'s constant-memory mode does, and is copied out last).

mod csv;
mod html;
mod json;
mod xlsx;

use crate::cell::{Cell, Column, RowKind};
use crate::run::{MetaItem, ReportError, Subject};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::io::{self, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    /// One CSV file per table; several tables come as a ZIP of them.
    Csv,
    Xlsx,
    /// A print-friendly page with the tables, their meta and charts.
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::Xlsx, Format::Html];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }

    /// The media type of one rendering (see `Report::content_type` for the
    /// ZIP of several CSV tables).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    /// The format an `Accept` media type asks for, if any.
    pub fn from_media_type(media: &str) -> Option<Format> {
        let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Format::Json),
            "text/csv" | "application/zip" => Some(Format::Csv),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Format::Xlsx),
            "text/html" => Some(Format::Html),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Format, ReportError> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ReportError::bad("format", format!("`{s}` is not one of json, csv, xlsx, html")))
    }
}

/// How much output is gathered before it is written out.
const CHUNK: usize = 64 * 1024;

/// The renderers' output buffer; shared with writers that must own their
/// destination (the CSV and ZIP writers).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self, at_least: usize) -> io::Result<Option<Vec<u8>>> {
        let mut buf = self.0.lock().map_err(|_| io::Error::other("report buffer poisoned"))?;
        if buf.is_empty() || buf.len() < at_least {
            return Ok(None);
        }
        Ok(Some(std::mem::take(&mut *buf)))
    }

    pub(crate) fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }

    /// Writes what was gathered to `out` once it is a chunk (`all`: whatever there is).
    pub(crate) async fn drain_into<W: AsyncWrite + Unpin>(&self, out: &mut W, all: bool) -> io::Result<()> {
        if let Some(bytes) = self.take(if all { 0 } else { CHUNK })? {
            out.write_all(&bytes).await?;
            if all {
                out.flush().await?;
            }
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buf = self.0.lock().map_err(|_| io::Error::other("report buffer poisoned"))?;
        buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What every renderer is told about the report before its tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub report: &'static str,
    pub slug: &'static str,
    pub subject: &'a Subject,
    pub generated_at: DateTime<Utc>,
    pub tz: Tz,
}

pub(crate) trait Renderer: Send {
    fn begin(&mut self, head: &Head<'_>) -> Result<(), ReportError>;
    fn begin_table(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError>;
    fn row(&mut self, cells: &[Cell], kind: RowKind) -> Result<(), ReportError>;
    fn end_table(&mut self, meta: &[MetaItem], chart: Option<&str>) -> Result<(), ReportError>;
    /// Ends the output; a renderer that could not write to the sink as it
    /// went returns the file to copy out.
    fn finish(self: Box<Self>) -> Result<Option<std::fs::File>, ReportError>;
    /// Whether charts are drawn (only the HTML page shows them).
    fn wants_charts(&self) -> bool {
        false
    }
}

pub(crate) fn renderer(
    format: Format,
    several: bool,
    sink: Sink,
    head: &Head<'_>,
) -> Result<Box<dyn Renderer>, ReportError> {
    Ok(match format {
        Format::Json => Box::new(json::Json::new(sink, head.tz)),
        Format::Csv => Box::new(csv::Csv::new(sink, several, head.tz)),
        Format::Xlsx => Box::new(xlsx::Xlsx::new(head.tz)?),
        Format::Html => Box::new(html::Html::new(sink, head.tz)?),
    })
}

/// Copies a finished file to `out` a chunk at a time.
pub(crate) async fn copy_file<W: AsyncWrite + Unpin>(file: std::fs::File, out: &mut W) -> io::Result<()> {
    let mut file = tokio::fs::File::from_std(file);
    tokio::io::copy(&mut file, out).await?;
    out.flush().await
}

/// Names a table's sheet or ZIP entry: no characters spreadsheets or file
/// systems refuse, unique within the report.
pub(crate) fn entry_name(name: &str, taken: &mut Vec<String>, max: usize) -> String {
    let clean: String =
        name.chars().map(|c| if matches!(c, '/' | '\\' | '?' | '*' | '[' | ']' | ':') { '-' } else { c }).collect();
    let mut base: String = clean.chars().take(max).collect();
    if base.trim().is_empty() {
        base = "Table".to_owned();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        let suffix = format!(" ({n})");
        candidate = format!("{}{suffix}", base.chars().take(max.saturating_sub(suffix.len())).collect::<String>());
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}
