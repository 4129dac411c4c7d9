//! What a report request asks for: its parameters (documented once here),
//! the format (`?format=` or `Accept`), and the replaced system's
//! `R-Settings` header.

use crate::error::{ApiError, FieldError, Problem};
use crate::params::{Param, ParamDoc};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaParamIn, MetaSchema};
use reports::{Format, ReportError, Tz};
use serde_json::Value;

/// A string parameter of at most `max` characters.
fn text(max: usize) -> MetaSchema {
    let mut s = MetaSchema::new("string");
    s.min_length = Some(1);
    s.max_length = Some(max);
    s
}

pub struct FormatDoc;
impl ParamDoc for FormatDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "The format: `json` (the default), `csv` (a ZIP of one CSV per table when the \
        report has several and `table` picks none), `xlsx` (one sheet per table) or `html` (a print-friendly page \
        with charts). Wins over `Accept`, which is read otherwise (`application/json`, `text/csv`, \
        `application/zip`, `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, `text/html`).";
    const EXAMPLE: Option<&'static str> = Some("csv");

    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new("string");
        s.enum_items = Format::ALL.iter().map(|f| Value::from(f.as_str())).collect();
        s
    }
}

pub struct TzDoc;
impl ParamDoc for TzDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "The IANA time zone dates are printed in (and, for the distributor report, \
        days are cut in). Default: the `R-Settings` header's `userTimeZone`, else UTC. An unknown zone is a 400.";
    const EXAMPLE: Option<&'static str> = Some("America/Chicago");

    fn schema() -> MetaSchema {
        text(64)
    }
}

pub struct TableDoc;
impl ParamDoc for TableDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "Only this table of the report, by name (`Vendor PO`) or slug (`vendor-po`), \
        case-insensitive: its CSV is one file instead of a ZIP. `GET /api/v1/reports` lists each report's tables; \
        a table the report does not have is a 400 listing them.";
    const EXAMPLE: Option<&'static str> = Some("vendor-po");

    fn schema() -> MetaSchema {
        text(100)
    }
}

pub struct SalesTableDoc;
impl ParamDoc for SalesTableDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "Only this table, `Sales per Campaign` or `Sales per Day` (or their slugs, \
        case-insensitive): its CSV is one file instead of a ZIP. Another name is a 400 listing them.";
    const EXAMPLE: Option<&'static str> = Some("sales-per-day");

    fn schema() -> MetaSchema {
        text(100)
    }
}

pub struct VendorDoc;
impl ParamDoc for VendorDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "Vendor PO (also within `all`): only this vendor's items, by name \
        (case-insensitive); the Vendor column is then left out. Wins over the `R-Settings` header's filter. A 400 \
        for a report without a Vendor PO table.";
    const EXAMPLE: Option<&'static str> = Some("Pacific Apparel Supply");

    fn schema() -> MetaSchema {
        text(200)
    }
}

/// The replaced system's settings header.
pub const R_SETTINGS: &str = "R-Settings";

pub struct SettingsDoc;
impl ParamDoc for SettingsDoc {
    const IN: MetaParamIn = MetaParamIn::Header;
    const DESCRIPTION: &'static str = "The replaced system's report settings, JSON: `{\"params\": [], \"filters\": \
        {\"Vendor PO:vendor_name\": \"...\"}, \"sort\": null, \"userTimeZone\": \"America/Chicago\"}`. \
        `userTimeZone` sets the zone when `tz` is not given; the one filter, `Vendor PO:vendor_name`, the vendor \
        when `vendor` is not given (ignored by reports without a Vendor PO table, as the old system did). \
        `params` and `sort` are accepted and ignored. Text that is not such JSON, another filter or an unknown \
        zone is a 400 naming `R-Settings`.";
    const EXAMPLE: Option<&'static str> = Some(
        r#"{"params": [], "filters": {"Vendor PO:vendor_name": "Pacific Apparel Supply"}, "sort": null, "userTimeZone": "America/Chicago"}"#,
    );

    fn schema() -> MetaSchema {
        text(4096)
    }
}

pub struct FromDoc;
impl ParamDoc for FromDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "The first day of the range, `YYYY-MM-DD`, in `tz`.";
    const EXAMPLE: Option<&'static str> = Some("2026-05-01");
    const REQUIRED: bool = true;

    fn schema() -> MetaSchema {
        MetaSchema::new_with_format("string", "date")
    }
}

pub struct ToDoc;
impl ParamDoc for ToDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str =
        "The last day of the range (included), `YYYY-MM-DD`, in `tz`; not before `from`, at most 10 years after it.";
    const EXAMPLE: Option<&'static str> = Some("2026-05-31");
    const REQUIRED: bool = true;

    fn schema() -> MetaSchema {
        MetaSchema::new_with_format("string", "date")
    }
}

pub struct DistributorDoc;
impl ParamDoc for DistributorDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "The distributor: staff may leave it out (theirs) or name their own; a super \
        admin must name one. Another distributor's is a 404.";
    const EXAMPLE: Option<&'static str> = Some("1");

    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new_with_format("integer", "int64");
        s.minimum = Some(1.0);
        s
    }
}

pub type FormatQuery = Param<FormatDoc>;
pub type TzQuery = Param<TzDoc>;
pub type TableQuery = Param<TableDoc>;
pub type SalesTableQuery = Param<SalesTableDoc>;
pub type VendorQuery = Param<VendorDoc>;
pub type SettingsHeader = Param<SettingsDoc>;
pub type FromQuery = Param<FromDoc>;
pub type ToQuery = Param<ToDoc>;
pub type DistributorQuery = Param<DistributorDoc>;

/// A 400 about one parameter.
pub fn bad(field: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::BadRequest(Json(
        Problem::new(400, format!("{field}: {message}")).with_errors(vec![FieldError::new(field, "invalid", message)]),
    ))
}

/// The format `?format=` names, else the first of `Accept` (by `q`, then
/// order) that is one, else JSON.
pub fn negotiate(format: Option<&str>, accept: Option<&str>) -> Result<Format, ApiError> {
    if let Some(f) = format {
        return f.parse::<Format>().map_err(|e| match e {
            ReportError::BadParam { name, message } => bad(name, message),
            other => bad("format", other.to_string()),
        });
    }
    let mut offered: Vec<(u16, usize, Format)> = Vec::new();
    for (i, part) in accept.unwrap_or_default().split(',').enumerate() {
        let mut pieces = part.split(';').map(str::trim);
        let media = pieces.next().unwrap_or_default();
        let q = pieces
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1000, |q| (q.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0) * 1000.0) as u16);
        if q == 0 {
            continue;
        }
        if let Some(f) = Format::from_media_type(media) {
            offered.push((q, i, f));
        }
    }
    offered.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(offered.first().map_or(Format::Json, |o| o.2))
}

/// What the `R-Settings` header says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub vendor: Option<String>,
    pub tz: Option<Tz>,
}

/// The legacy filter this API understands.
pub const VENDOR_FILTER: &str = "Vendor PO:vendor_name";

pub fn settings(header: Option<&str>) -> Result<Settings, ApiError> {
    let Some(text) = header else { return Ok(Settings::default()) };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad(R_SETTINGS, format!("must be JSON like the example in the documentation: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(bad(R_SETTINGS, "must be a JSON object with `filters` and `userTimeZone`"));
    };
    let mut out = Settings::default();
    match object.get("filters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(filters)) => {
            for (key, value) in filters {
                if key != VENDOR_FILTER {
                    return Err(bad(
                        R_SETTINGS,
                        format!("the filter `{key}` is not supported; the one filter is `{VENDOR_FILTER}`"),
                    ));
                }
                out.vendor = match value {
                    Value::Null => None,
                    Value::String(v) if v.trim().is_empty() => None,
                    Value::String(v) => Some(v.trim().to_owned()),
                    _ => return Err(bad(R_SETTINGS, format!("`{VENDOR_FILTER}` must be a vendor name"))),
                };
            }
        }
        Some(_) => return Err(bad(R_SETTINGS, "`filters` must be an object")),
    }
    match object.get("userTimeZone") {
        None | Some(Value::Null) => {}
        Some(Value::String(zone)) if zone.trim().is_empty() => {}
        Some(Value::String(zone)) => {
            let tz = zone
                .trim()
                .parse::<Tz>()
                .map_err(|_| bad(R_SETTINGS, format!("`userTimeZone` `{zone}` is not an IANA time zone name")))?;
            out.tz = Some(tz);
        }
        Some(_) => return Err(bad(R_SETTINGS, "`userTimeZone` must be an IANA time zone name")),
    }
    Ok(out)
}

/// The zone: `tz`, else the header's, else UTC.
pub fn zone(tz: Option<&str>, settings: &Settings) -> Result<Tz, ApiError> {
    match tz {
        Some(name) => reports::parse_tz(name).map_err(|e| bad("tz", e.to_string().trim_start_matches("tz: "))),
        None => Ok(settings.tz.unwrap_or(Tz::UTC)),
    }
}

/// A `YYYY-MM-DD` parameter.
pub fn date(name: &str, value: Option<&str>) -> Result<chrono::NaiveDate, ApiError> {
    let value = value.unwrap_or_default().trim();
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| bad(name, format!("`{value}` is not a date like 2026-05-31")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_the_query_then_the_best_accepted() {
        assert_eq!(negotiate(Some("CSV"), Some("text/html")).ok(), Some(Format::Csv));
        assert!(negotiate(Some("pdf"), None).is_err());
        assert_eq!(negotiate(None, None).ok(), Some(Format::Json));
        assert_eq!(negotiate(None, Some("*/*")).ok(), Some(Format::Json));
        assert_eq!(negotiate(None, Some("text/html,application/xhtml+xml,*/*;q=0.8")).ok(), Some(Format::Html));
        assert_eq!(
            negotiate(None, Some("text/csv;q=0.5, application/zip;q=0, text/html;q=0.9")).ok(),
            Some(Format::Html)
        );
        assert_eq!(
            negotiate(None, Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).ok(),
            Some(Format::Xlsx)
        );
        assert_eq!(negotiate(None, Some("application/zip")).ok(), Some(Format::Csv));
        assert_eq!(negotiate(None, Some("image/png")).ok(), Some(Format::Json));
    }

    #[test]
    fn the_legacy_header_gives_the_vendor_and_the_zone() {
        let s = settings(Some(
            r#"{"params": [], "filters": {"Vendor PO:vendor_name": " Acme Mugs "}, "sort": null, "userTimeZone": "America/Chicago"}"#,
        ))
        .ok();
        assert_eq!(s, Some(Settings { vendor: Some("Acme Mugs".into()), tz: "America/Chicago".parse::<Tz>().ok() }));
        assert_eq!(settings(Some(r#"{"filters": {}, "userTimeZone": null}"#)).ok(), Some(Settings::default()));
        for wrong in [
            "nope",
            "[]",
            r#"{"filters": {"Bin:bin": "1"}}"#,
            r#"{"filters": {"Vendor PO:vendor_name": 5}}"#,
            r#"{"userTimeZone": "Mars/Olympus"}"#,
        ] {
            let e = settings(Some(wrong)).err().map(|e| e.problem().clone());
            assert!(
                e.is_some_and(|p| p.status == 400 && p.errors.is_some_and(|e| e[0].field == R_SETTINGS)),
                "{wrong}"
            );
        }
    }
}
