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
td.folded { white-space: nowrap; }
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
<thead><tr>{% for c in columns %}<th class="{{ c[1] }}">{{ c[0] }}</th>{% endfor %}</tr></thead>
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
    /// The page's columns over the table's: a column, or a folded group.
    layout: Vec<Shown>,
    rows: usize,
}

/// A column of the page: one of the table's, or a folded group of them
/// (`cells` the range, `stride` cells per unit). A repeated group (a pick
/// list of one Product/Quantity pair per line of the longest order) would
/// otherwise make the table as wide as that order is long, past any printed
/// page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    Column { index: usize, class: &'static str },
    Folded { cells: std::ops::Range<usize>, stride: usize },
}

/// The page's columns for `columns`, and their headers (name, class).
fn layout(columns: &[Column]) -> (Vec<Shown>, Vec<(String, &'static str)>) {
    let (mut shown, mut heads) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < columns.len() {
        match columns[i].fold {
            Some(fold) => {
                let end = columns[i..].iter().position(|c| c.fold != Some(fold)).map_or(columns.len(), |n| i + n);
                shown.push(Shown::Folded { cells: i..end, stride: fold.stride.max(1) });
                heads.push((fold.title.to_owned(), "text"));
                i = end;
            }
            None => {
                let class = columns[i].kind.as_str();
                shown.push(Shown::Column { index: i, class });
                heads.push((columns[i].name.clone(), class));
                i += 1;
            }
        }
    }
    (shown, heads)
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
        Ok(Html { out, tz, env, layout: Vec::new(), rows: 0 })
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
        let (layout, heads) = layout(columns);
        self.layout = layout;
        self.rows = 0;
        self.render("table.html", context! { name => name, columns => Serde(heads) })
    }

    fn row(&mut self, cells: &[Cell], kind: RowKind) -> Result<(), ReportError> {
        self.rows += 1;
        let mut line = String::with_capacity(64 + cells.len() * 24);
        line.push_str(if kind == RowKind::Subtotal { "<tr class=\"subtotal\">" } else { "<tr>" });
        for shown in &self.layout {
            match shown {
                Shown::Column { index, class } => {
                    line.push_str("<td class=\"");
                    line.push_str(class);
                    line.push_str("\">");
                    if let Some(c) = cells.get(*index) {
                        escape(&c.plain(self.tz), &mut line);
                    }
                }
                Shown::Folded { cells: range, stride } => {
                    line.push_str("<td class=\"text folded\">");
                    let group = cells.get(range.clone()).unwrap_or_default();
                    let mut first = true;
                    for unit in group.chunks(*stride) {
                        let texts: Vec<_> = unit.iter().map(|c| c.plain(self.tz)).filter(|t| !t.is_empty()).collect();
                        if texts.is_empty() {
                            continue;
                        }
                        if !first {
                            line.push_str("<br>");
                        }
                        first = false;
                        escape(&texts.join(": "), &mut line);
                    }
                }
            }
            line.push_str("</td>");
        }
        line.push_str("</tr>\n");
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn end_table(&mut self, meta: &[MetaItem], chart: Option<&str>) -> Result<(), ReportError> {
        if self.rows == 0 {
            let empty = format!("<tr><td class=\"empty\" colspan=\"{}\">No rows</td></tr>\n", self.layout.len().max(1));
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
