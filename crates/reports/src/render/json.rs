//! JSON: `{"report", "campaign", "generated_at", "tables": [{"name",
//! "columns", "rows", "meta"}]}`, written as the rows come (never built as
//! one value). Money is a string with 2 places (exact), moments RFC 3339
//! in the report's zone.

use super::{Head, Renderer, Sink};
use crate::catalog::Scope;
use crate::cell::{Cell, Column, RowKind};
use crate::run::{MetaItem, ReportError};
use chrono_tz::Tz;
use serde_json::json;
use std::io::Write;

pub(crate) struct Json {
    out: Sink,
    tz: Tz,
    tables: usize,
    rows: usize,
}

impl Json {
    pub(crate) fn new(out: Sink, tz: Tz) -> Json {
        Json { out, tz, tables: 0, rows: 0 }
    }

    fn value(&mut self, v: &impl serde::Serialize) -> Result<(), ReportError> {
        serde_json::to_writer(&mut self.out, v).map_err(ReportError::render)
    }
}

impl Renderer for Json {
    fn begin(&mut self, head: &Head<'_>) -> Result<(), ReportError> {
        let s = head.subject;
        let subject = json!({ "id": s.id, "name": s.name, "company_name": s.detail });
        let (campaign, distributor) = match s.kind {
            Scope::Campaign => (subject, serde_json::Value::Null),
            Scope::Distributor => (serde_json::Value::Null, json!({ "id": s.id, "name": s.name, "range": s.detail })),
        };
        self.out.write_all(b"{\"report\":")?;
        self.value(&json!({ "slug": head.slug, "name": head.report }))?;
        // A campaign report names its campaign, the distributor report its
        // distributor and range; neither carries the other's key.
        if !campaign.is_null() {
            self.out.write_all(b",\"campaign\":")?;
            self.value(&campaign)?;
        }
        if !distributor.is_null() {
            self.out.write_all(b",\"distributor\":")?;
            self.value(&distributor)?;
        }
        self.out.write_all(b",\"generated_at\":")?;
        self.value(&crate::cell::rfc3339(head.generated_at, head.tz))?;
        self.out.write_all(b",\"time_zone\":")?;
        self.value(&head.tz.name())?;
        self.out.write_all(b",\"tables\":[")?;
        Ok(())
    }

    fn begin_table(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError> {
        if self.tables > 0 {
            self.out.write_all(b",")?;
        }
        self.tables += 1;
        self.rows = 0;
        self.out.write_all(b"{\"name\":")?;
        self.value(&name)?;
        self.out.write_all(b",\"columns\":")?;
        self.value(&columns)?;
        self.out.write_all(b",\"rows\":[")?;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell], kind: RowKind) -> Result<(), ReportError> {
        if self.rows > 0 {
            self.out.write_all(b",")?;
        }
        self.rows += 1;
        let tz = self.tz;
        let values: Vec<serde_json::Value> = cells.iter().map(|c| c.json(tz)).collect();
        // A subtotal row is marked, so a client summing rows can skip it.
        match kind {
            RowKind::Data => self.value(&values),
            RowKind::Subtotal => self.value(&json!({ "subtotal": values })),
        }
    }

    fn end_table(&mut self, meta: &[MetaItem], _chart: Option<&str>) -> Result<(), ReportError> {
        let tz = self.tz;
        let meta: Vec<serde_json::Value> =
            meta.iter().map(|m| json!({ "label": m.label, "value": m.value.json(tz) })).collect();
        self.out.write_all(b"],\"meta\":")?;
        self.value(&meta)?;
        self.out.write_all(b"}")?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Option<std::fs::File>, ReportError> {
        self.out.write_all(b"]}\n")?;
        Ok(None)
    }
}
