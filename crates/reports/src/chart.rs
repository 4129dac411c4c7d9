//! The charts of the HTML page, drawn on the server as inline SVG with
//! `plotters` (its SVG backend writes text as `<text>` elements and, without
//! its font features, measures text by estimate: no font files needed), so
//! the page needs no JavaScript and prints as it shows.
//!
//! A chart is gathered while the rows stream past: a few sums keyed by
//! vendor, day or range, bounded whatever the number of rows.

use crate::catalog::Chart;
use crate::cell::Cell;
use crate::run::{Planned, chart_columns};
use chrono_tz::Tz;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// The most distinct keys kept; the rest are summed as "Other".
const MAX_KEYS: usize = 5_000;
/// The most bars drawn; the smallest beyond are summed as "Other".
const MAX_BARS: usize = 15;
/// The bands of the deduction distribution (upper bounds, in currency units).
const BANDS: [i64; 7] = [25, 50, 100, 250, 500, 1_000, 2_500];

const WIDTH: u32 = 760;

pub(crate) struct ChartData {
    spec: Chart,
    group: Option<usize>,
    value: Option<usize>,
    sums: BTreeMap<String, Decimal>,
    other: Decimal,
    bands: [u64; BANDS.len() + 1],
}

impl ChartData {
    /// The chart of `spec` over table `t`, if `t` shows the columns it needs.
    pub(crate) fn new(spec: Chart, t: &Planned) -> Option<ChartData> {
        let (group, value) = chart_columns(spec, t)?;
        Some(ChartData { spec, group, value, sums: BTreeMap::new(), other: Decimal::ZERO, bands: [0; BANDS.len() + 1] })
    }

    pub(crate) fn add(&mut self, cells: &[Cell], tz: Tz) {
        let value = match self.value {
            Some(i) => cells.get(i).and_then(Cell::decimal).unwrap_or_default(),
            None => Decimal::ONE,
        };
        if let Chart::Distribution { .. } = self.spec {
            let band = BANDS.iter().position(|b| value <= Decimal::from(*b)).unwrap_or(BANDS.len());
            self.bands[band] += 1;
            return;
        }
        let key = match self.group.and_then(|i| cells.get(i)) {
            Some(Cell::Time(t)) => t.with_timezone(&tz).format("%Y-%m-%d").to_string(),
            Some(Cell::Empty) | None => "(none)".to_owned(),
            Some(other) => other.plain(tz).into_owned(),
        };
        if let Some(sum) = self.sums.get_mut(&key) {
            *sum += value;
        } else if self.sums.len() < MAX_KEYS {
            self.sums.insert(key, value);
        } else {
            self.other += value;
        }
    }

    /// The chart as an `<svg>` element.
    pub(crate) fn svg(self) -> Result<String, String> {
        match self.spec {
            Chart::Bars { title, .. } => {
                let mut items: Vec<(String, f64)> =
                    self.sums.into_iter().map(|(k, v)| (k, v.to_f64().unwrap_or_default())).collect();
                items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let mut other = self.other.to_f64().unwrap_or_default();
                if items.len() > MAX_BARS {
                    other += items.split_off(MAX_BARS - 1).iter().map(|(_, v)| v).sum::<f64>();
                }
                if other > 0.0 {
                    items.push(("Other".to_owned(), other));
                }
                bars(title, &items)
            }
            Chart::Distribution { title, .. } => {
                let mut items = Vec::new();
                let mut low = 0;
                for (i, n) in self.bands.iter().enumerate() {
                    let label = match BANDS.get(i) {
                        Some(high) => format!("{low}–{high}"),
                        None => format!("over {low}"),
                    };
                    low = BANDS.get(i).copied().unwrap_or(low);
                    #[allow(clippy::cast_precision_loss, reason = "a count of people")]
                    items.push((label, *n as f64));
                }
                bars(title, &items)
            }
            Chart::Daily { title, .. } => {
                let days: Vec<(String, f64)> =
                    self.sums.into_iter().map(|(k, v)| (k, v.to_f64().unwrap_or_default())).collect();
                daily(title, &days)
            }
        }
    }
}

fn short(label: &str) -> String {
    if label.chars().count() > 28 {
        format!("{}…", label.chars().take(27).collect::<String>())
    } else {
        label.to_owned()
    }
}

/// Horizontal bars, one per item, largest first.
fn bars(title: &str, items: &[(String, f64)]) -> Result<String, String> {
    let n = items.len().max(1);
    let labels: Vec<String> = items.iter().map(|(l, _)| short(l)).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4);
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0) * 1.1;
    let height = 70 + 24 * u32::try_from(n).unwrap_or(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(u32::try_from(longest * 7 + 12).unwrap_or(200).min(230))
            .build_cartesian_2d(0f64..max, (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels.get(*i).cloned().unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [(0.0, SegmentValue::Exact(i)), (*v, SegmentValue::Exact(i + 1))],
                    RGBColor(52, 101, 164).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A line over the days, in date order.
fn daily(title: &str, days: &[(String, f64)]) -> Result<String, String> {
    let n = days.len();
    let max = days.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0) * 1.1;
    #[allow(clippy::cast_precision_loss, reason = "a count of days")]
    let right = n.max(1) as f64 - 0.5;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..right, 0f64..max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(n.clamp(1, 8))
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked above")]
                days.get(i as usize).map(|(d, _)| d.clone()).unwrap_or_default()
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| e.to_string())?;
        #[allow(clippy::cast_precision_loss, reason = "a count of days")]
        let points: Vec<(f64, f64)> = days.iter().enumerate().map(|(i, (_, v))| (i as f64, *v)).collect();
        let colour = RGBColor(52, 101, 164);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 3, colour.filled())))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
