//! HTML: a print-friendly page (landscape, repeated table headers, no
//! JavaScript) through minijinja templates for the page and table frames;
//! rows are escaped and written one by one as they stream, and each table
//! is followed by its meta and its chart (inline SVG drawn on the server).

use super::{Head, Renderer, Sink};
use crate::catalog::Scope;
use crate::cell::{Cell, Column, RowKind};
use crate::run::{MetaItem, ReportError};
use chrono_tz::Tz;
use minijinja::value::Serde;
use minijinja::{Environment, context};
use std::io::Write;

const STYLE: &str = "\
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 10pt; color: #111; margin: 16px; }
header h1 { font-size: 18pt; margin: 0 0 4px; }
header p { margin: 0 0 2px; color: #444; }
section { margin: 18px 0 28px; }
h2 { font-size: 13pt; margin: 0 0 6px; }
table { border-collapse: collapse; width: 100%; max-width: 100%; margin: 0 0 8px; }
th, td { border: 1px solid #c8c8c8; padding: 2px 5px; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eef1f5; text-align: left; font-weight: 600; }
th.integer, th.money, th.number, td.integer, td.money, td.number { text-align: right; white-space: nowrap; }
tr.subtotal td { font-weight: 600; background: #f6f7f9; }
td.empty { text-align: center; color: #777; font-style: italic; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
dl.meta { display: grid; grid-template-columns: max-content max-content; gap: 2px 14px; margin: 6px 0 10px; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; text-align: right; }
figure.chart { margin: 8px 0; break-inside: avoid; }
figure.chart svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; } }
";

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report }} — {{ subject }}</title>
<style>{{ style|safe }}</style>
</head>
<body>
<header>
<h1>{{ report }}</h1>
<p class="subject">{{ kind }}: <strong>{{ subject }}</strong>{% if detail %} · {{ detail }}{% endif %}</p>
<p class="generated">Generated {{ generated }} ({{ tz }})</p>
</header>
"#;

const TABLE: &str = r#"<section class="report-table">
<h2>{{ name }}</h2>
<table>
<thead><tr>{% for c in columns %}<th class="{{ c.kind }}">{{ c.name }}</th>{% endfor %}</tr></thead>
<tbody>
"#;

const TABLE_END: &str = r#"</tbody>
</table>
{% if meta %}<dl class="meta">{% for m in meta %}<dt>{{ m.label }}</dt><dd>{{ m.value }}</dd>{% endfor %}</dl>
{% endif %}{% if chart %}<figure class="chart">{{ chart|safe }}</figure>
{% endif %}</section>
"#;

const PAGE_END: &str = "</body>\n</html>\n";

pub(crate) struct Html {
    out: Sink,
    tz: Tz,
    env: Environment<'static>,
    classes: Vec<&'static str>,
    rows: usize,
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

impl Html {
    pub(crate) fn new(out: Sink, tz: Tz) -> Result<Html, ReportError> {
        let mut env = Environment::new();
        for (name, source) in [("page.html", PAGE), ("table.html", TABLE), ("table_end.html", TABLE_END)] {
            env.add_template(name, source).map_err(ReportError::render)?;
        }
        Ok(Html { out, tz, env, classes: Vec::new(), rows: 0 })
    }

    fn render(&mut self, name: &str, ctx: minijinja::Value) -> Result<(), ReportError> {
        let text = self.env.get_template(name).and_then(|t| t.render(ctx)).map_err(ReportError::render)?;
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }
}

impl Renderer for Html {
    fn begin(&mut self, head: &Head<'_>) -> Result<(), ReportError> {
        let kind = match head.subject.kind {
            Scope::Campaign => "Campaign",
            Scope::Distributor => "Distributor",
        };
        let ctx = context! {
            report => head.report,
            subject => head.subject.name.as_str(),
            detail => head.subject.detail.as_str(),
            kind => kind,
            generated => crate::cell::local_time(head.generated_at, head.tz),
            tz => head.tz.name(),
            style => STYLE,
        };
        self.render("page.html", ctx)
    }

    fn begin_table(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError> {
        self.classes = columns.iter().map(|c| c.kind.as_str()).collect();
        self.rows = 0;
        self.render("table.html", context! { name => name, columns => Serde(columns) })
    }

    fn row(&mut self, cells: &[Cell], kind: RowKind) -> Result<(), ReportError> {
        self.rows += 1;
        let mut line = String::with_capacity(64 + cells.len() * 24);
        line.push_str(if kind == RowKind::Subtotal { "<tr class=\"subtotal\">" } else { "<tr>" });
        for (i, c) in cells.iter().enumerate() {
            line.push_str("<td class=\"");
            line.push_str(self.classes.get(i).copied().unwrap_or("text"));
            line.push_str("\">");
            escape(&c.plain(self.tz), &mut line);
            line.push_str("</td>");
        }
        line.push_str("</tr>\n");
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn end_table(&mut self, meta: &[MetaItem], chart: Option<&str>) -> Result<(), ReportError> {
        if self.rows == 0 {
            let empty =
                format!("<tr><td class=\"empty\" colspan=\"{}\">No rows</td></tr>\n", self.classes.len().max(1));
            self.out.write_all(empty.as_bytes())?;
        }
        let tz = self.tz;
        let meta: Vec<(String, String)> =
            meta.iter().map(|m| (m.label.clone(), m.value.plain(tz).into_owned())).collect();
        let meta: Vec<minijinja::Value> =
            meta.iter().map(|(label, value)| context! { label => label.as_str(), value => value.as_str() }).collect();
        self.render("table_end.html", context! { meta => meta, chart => chart })
    }

    fn finish(mut self: Box<Self>) -> Result<Option<std::fs::File>, ReportError> {
        self.out.write_all(PAGE_END.as_bytes())?;
        Ok(None)
    }

    fn wants_charts(&self) -> bool {
        true
    }
}
