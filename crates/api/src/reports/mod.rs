//! Tag Reports: the campaign reports distributors send to vendors,
//! decorators, payroll and pick/pack partners (purchase orders, pick lists,
//! shopper summaries, payroll deductions), and the distributor's sales over
//! a date range, as JSON, CSV (a ZIP of CSVs for several tables), XLSX or a
//! print-friendly HTML page with charts.
//!
//! The reports themselves (what each shows, who may run which, the SQL and
//! the renderers) are the `reports` crate's; here they get their HTTP shape:
//! the format from `?format=` or `Accept`, the replaced system's `R-Settings`
//! header, problem+json refusals, and a body streamed as it is rendered
//! ([`download`]). They read the read-only replica when one is configured
//! (`DATABASE_READ_URL`, [`AppState::reports_pool`]); whether the caller's
//! account may download reports (`reports_enabled`) is read from the
//! primary on every request.

mod download;
mod input;

pub use download::{ReportDocument, ReportDownload};

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tags::ApiTags;
use domain::{Principal, Role};
use input::{
    DistributorQuery, FormatQuery, FromQuery, SalesTableQuery, SettingsHeader, TableQuery, ToQuery, TzQuery,
    VendorQuery, bad,
};
use poem::Request;
use poem::http::header;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};
use reports::{ReportAccess, ReportDef, Scope};

#[derive(Default)]
pub struct ReportsApi;

/// This namespace's APIs.
pub type Api = ReportsApi;

/// Where the reports are.
pub const PREFIX: &str = "/api/v1/reports";

/// A report the caller may run.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ReportInfo {
    /// The report's name in URLs.
    pub slug: String,
    /// The name people know it by.
    pub name: String,
    pub description: String,
    /// `campaign`: about one campaign; `distributor`: across the distributor's campaigns over a date range.
    pub scope: String,
    /// Where to download it (`{campaign_id}` to fill in for a campaign report).
    pub path: String,
    /// Its tables, in order (names for `table`).
    pub tables: Vec<String>,
    /// The query parameters it takes besides `format`.
    pub parameters: Vec<ReportParameter>,
    /// The formats it comes in (`format`).
    pub formats: Vec<String>,
    /// The roles that may run it, least first (admin buyers only of the campaigns they are members of).
    pub roles: Vec<String>,
}

/// A parameter of a report.
#[derive(Debug, Object)]
pub struct ReportParameter {
    pub name: String,
    pub description: String,
    pub required: bool,
}

impl Example for ReportInfo {
    fn example() -> ReportInfo {
        reports::catalog().iter().find(|d| d.slug == "vendor-po").map_or_else(
            || ReportInfo {
                slug: "vendor-po".into(),
                name: "Vendor PO".into(),
                description: String::new(),
                scope: "campaign".into(),
                path: format!("{PREFIX}/vendor-po/campaigns/{{campaign_id}}"),
                tables: vec!["Vendor PO".into()],
                parameters: Vec::new(),
                formats: Vec::new(),
                roles: Vec::new(),
            },
            info,
        )
    }
}

fn info(def: &ReportDef) -> ReportInfo {
    let (scope, path) = match def.scope {
        Scope::Campaign => ("campaign", format!("{PREFIX}/{}/campaigns/{{campaign_id}}", def.slug)),
        Scope::Distributor => ("distributor", format!("{PREFIX}/{}", def.slug)),
    };
    let mut parameters: Vec<ReportParameter> = def
        .params()
        .into_iter()
        .map(|p| ReportParameter {
            name: p.name.to_owned(),
            description: p.description.to_owned(),
            required: matches!(p.name, "from" | "to"),
        })
        .collect();
    if def.scope == Scope::Distributor {
        parameters.push(ReportParameter {
            name: "distributor_id".into(),
            description: "the distributor (super admins must name it; staff: theirs)".into(),
            required: false,
        });
    }
    ReportInfo {
        slug: def.slug.to_owned(),
        name: def.name.to_owned(),
        description: def.description.to_owned(),
        scope: scope.to_owned(),
        path,
        tables: def.table_names().into_iter().map(str::to_owned).collect(),
        parameters,
        formats: reports::Format::ALL.iter().map(|f| f.as_str().to_owned()).collect(),
        roles: def.roles().into_iter().map(|r| r.as_str().to_owned()).collect(),
    }
}

#[derive(ApiResponse)]
pub enum CatalogResponse {
    /// The reports the caller may run, in the catalog's order.
    #[oai(status = 200)]
    Ok(Json<Vec<ReportInfo>>),
}

/// The caller as the reports crate sees it, with `reports_enabled` read
/// from the primary (a shopper runs nothing: no need to ask).
async fn access(state: &AppState, who: &Principal) -> ApiResult<ReportAccess> {
    let enabled = who.role != Role::Shopper
        && storage::accounts::reports_enabled(&state.pool, who.account_id).await?.unwrap_or(false);
    Ok(ReportAccess::new(*who, enabled))
}

/// 403 for shoppers and for accounts whose reports are switched off.
fn require_reports(access: &ReportAccess) -> ApiResult<()> {
    if access.principal.role == Role::Shopper {
        Err(ApiError::forbidden("shoppers run no reports"))
    } else if !access.reports_enabled {
        Err(ApiError::forbidden("reports are not enabled for your account; a distributor manager can enable them"))
    } else {
        Ok(())
    }
}

fn accept(request: &Request) -> Option<&str> {
    request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Reports")]
impl ReportsApi {
    /// List reports
    ///
    /// The reports you may run, with their tables, parameters, formats and
    /// the path to download each: every report for distributor staff and
    /// super admins; Payroll Deduction, Shopper Summary, Itemized Shopper
    /// and Location PO for admin buyers (of the campaigns they are members
    /// of). Shoppers, and accounts whose `reports_enabled` is false, get 403.
    #[oai(path = "/reports", method = "get", operation_id = "list_reports")]
    async fn list_reports(&self, state: Data<&AppState>, auth: Auth) -> ApiResult<CatalogResponse> {
        let access = access(&state, auth.principal()).await?;
        require_reports(&access)?;
        Ok(CatalogResponse::Ok(Json(reports::catalog_for(&access).into_iter().map(info).collect())))
    }

    /// Download a campaign report
    ///
    /// Report `slug` of campaign `campaign_id` (see `GET /api/v1/reports` for
    /// the slugs: `campaign-product-list`, `decorator-po`, `itemized-shopper`,
    /// `label-report`, `location-po`, `payroll-deduction`,
    /// `pick-pack-and-bag`, `sales-executives-shopper`, `shopper-summary`,
    /// `vendor-po`, `bin`, `all`), as JSON (the default), CSV, XLSX or HTML
    /// by `format` or `Accept`. The body is streamed as the rows are read;
    /// `Content-Disposition` names the file after the campaign and the
    /// report. Cancelled orders count in no report.
    ///
    /// Distributor staff run every report of their distributor's campaigns,
    /// admin buyers the four above of campaigns they are members of (any
    /// other report is 403). An unknown report, or a campaign you cannot see
    /// (another distributor's, or one an admin buyer is not a member of), is
    /// 404. Shoppers, and accounts whose `reports_enabled` is false, get
    /// 403. A bad `format`, `tz`, `table`, `vendor` or `R-Settings` is a 400
    /// naming it; an `Accept` that admits none of the formats (nor
    /// problem+json) is 406.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/reports/:slug/campaigns/:campaign_id", method = "get", operation_id = "get_campaign_report")]
    async fn get_campaign_report(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        /// The report's slug, e.g. `vendor-po`.
        #[oai(example = "slug_example")]
        slug: Path<String>,
        /// The campaign's id.
        campaign_id: Path<i64>,
        format: FormatQuery,
        tz: TzQuery,
        table: TableQuery,
        vendor: VendorQuery,
        #[oai(name = "R-Settings")] settings: SettingsHeader,
    ) -> ApiResult<ReportDownload> {
        let format = input::negotiate(format.as_deref(), accept(request))?;
        let settings = input::settings(settings.as_deref())?;
        let tz = input::zone(tz.as_deref(), &settings)?;
        // The header's filter applies where there is a Vendor PO table, as
        // it did in the replaced system; `vendor` is checked by the report.
        let has_vendor = reports::catalog().iter().any(|d| d.slug == slug.0.as_str() && d.has_vendor_filter());
        let vendor = match vendor.0 {
            Some(v) => Some(v),
            None if has_vendor => settings.vendor,
            None => None,
        };
        let access = access(&state, auth.principal()).await?;
        let params = reports::Params { vendor, tz, table: table.0 };
        let report = reports::run(state.reports_pool(), &access, &slug.0, campaign_id.0, params)
            .await
            .map_err(|e| refused(e, &access))?;
        download::stream(report, format).await
    }

    /// Download the distributor's sales
    ///
    /// Sales per campaign and per day from `from` to `to` (days in `tz`),
    /// across every campaign of the distributor, with a chart: orders,
    /// items and sales (cancelled orders left out). Distributor staff get
    /// their distributor's (`distributor_id` may be left out); a super admin
    /// names it. Another distributor is 404; admin buyers, shoppers and
    /// accounts whose `reports_enabled` is false get 403. Formats as for the
    /// campaign reports (`table=sales-per-day` for one CSV instead of a ZIP).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/reports/distributor-sales", method = "get", operation_id = "get_distributor_sales")]
    async fn get_distributor_sales(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        from: FromQuery,
        to: ToQuery,
        distributor_id: DistributorQuery,
        tz: TzQuery,
        format: FormatQuery,
        table: SalesTableQuery,
    ) -> ApiResult<ReportDownload> {
        let who = auth.principal();
        let format = input::negotiate(format.as_deref(), accept(request))?;
        let tz = input::zone(tz.as_deref(), &input::Settings::default())?;
        let (from, to) = (input::date("from", from.as_deref())?, input::date("to", to.as_deref())?);
        let asked = match distributor_id.as_deref() {
            Some(text) => Some(
                text.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|d| *d > 0)
                    .ok_or_else(|| bad("distributor_id", format!("`{text}` is not a distributor id")))?,
            ),
            None => None,
        };
        let Some(distributor) = asked.or(who.distributor_id) else {
            return Err(bad("distributor_id", "super admins must name the distributor"));
        };
        let access = access(&state, who).await?;
        let report =
            reports::distributor_sales(state.reports_pool(), &access, distributor, from, to, tz, table.as_deref())
                .await
                .map_err(|e| refused(e, &access))?;
        download::stream(report, format).await
    }
}

fn slug_example() -> String {
    "all".to_owned()
}

/// A refusal, saying why when it is the account's switch or the role.
fn refused(e: reports::ReportError, access: &ReportAccess) -> ApiError {
    match e {
        reports::ReportError::Forbidden => match require_reports(access) {
            Err(refusal) => refusal,
            Ok(()) => ApiError::forbidden("your role may not run this report"),
        },
        other => download::report_error(other),
    }
}
