//! The access matrix, "the most important tests of this issue": every
//! operation of the Organization, Storefront, Orders, Jobs and Reports
//! namespaces (and `GET /auth/me`) for each of
//! the five roles, against a target in the caller's own distributor (Acme)
//! and in another one (Globex). A super admin owns both sides. A user of
//! Acme must never read, list, count, modify or learn the existence of
//! anything of Globex.
//!
//! Every cell acts on a fresh target made for it with SQL (a campaign with
//! its distributor's buyer and shopper as members, a location in it, a
//! shopper account), so cells never interfere. Each cell checks:
//! - the outcome in [`MATRIX`];
//! - a hidden cell (404), and any refusal on the other side, answers exactly
//!   as a request for an id that does not exist (nothing to probe);
//! - a refused request changes nothing in the database; an allowed write
//!   changes something, a read nothing;
//! - no response to an Acme caller mentions Globex or carries another
//!   distributor's id.
//!
//! All failures are collected and reported at once. The other tests here
//! cover the lists, counts, relation expansions and filters on private and
//! staff-only fields.

use crate::helpers::{Resp, TestApp, World, enc, id_of};
use crate::matrix_kit::{
    Outcome, ROLES, Side, Variant, Who, change_problems, fingerprint, leak, named_ids, short, tells_apart,
};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::BTreeSet;

const ORG: &str = "/api/v1/organization";
const SHOP: &str = "/api/v1/storefront/campaigns";
/// An id no table holds.
const GHOST: i64 = 987_654_321;

// ---- the operations -----------------------------------------------------------

/// One row of the matrix: an operation, sometimes in a variant that probes
/// a specific way of learning about another distributor (a conditional
/// request, a stale `If-Match`, a foreign id under one's own campaign).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Me,
    ListDistributors,
    GetDistributor,
    CreateDistributor,
    UpdateDistributor,
    UpdateDistributorStale,
    DeleteDistributor,
    ListAccounts,
    GetAccount,
    CreateAccount,
    UpdateAccount,
    DeleteAccount,
    DeleteAccountStale,
    ListCampaigns,
    GetCampaign,
    GetCampaignIfNoneMatch,
    GetDraftCampaign,
    CreateCampaign,
    UpdateCampaign,
    UpdateCampaignStale,
    DeleteDraftCampaign,
    ChangeStatus,
    Duplicate,
    ListMembers,
    AddMember,
    RemoveMember,
    ListLocations,
    CreateLocation,
    GetLocation,
    UpdateLocation,
    DeleteLocation,
    GetLocationUnderOwnCampaign,
    UpdateLocationUnderOwnCampaign,
    AddMemberToOwnCampaign,
    RemoveMemberUnderOwnCampaign,
    ListStorefrontCampaigns,
    ListStorefrontProducts,
    ListStorefrontProductsIfNoneMatch,
    GetBasket,
    GetBasketIfNoneMatch,
    SetBasketItem,
    SetBasketItemStale,
    SetForeignItemInOwnBasket,
    EmptyBasket,
    Checkout,
    ListOrders,
    GetOrder,
    GetOrderIfNoneMatch,
    ApproveOrder,
    CancelOrder,
    EditOrderItems,
    ListOrderEvents,
    ListOrderNotes,
    AddOrderNote,
    GetOrderNote,
    EditOrderNote,
    DeleteOrderNote,
    ListJobs,
    GetJob,
    RetryJob,
    ListReports,
    GetBuyerReport,
    GetStaffReport,
    GetDistributorSales,
}

/// The expected outcomes. Each cell is `<Acme>/<Globex>`: a status code
/// (`403` forbidden: the caller may know it exists; `404` hidden: as if it
/// did not exist), or for the filtered list rows `in` (the list and its
/// `X-Total-Count` hold exactly the target) and `out` (`[]`, count 0).
///
/// Targets: a fresh active campaign whose members are its distributor's
/// admin buyer and shopper (a draft for `GetDraftCampaign` and
/// `DeleteDraftCampaign`), a location in it and a fresh shopper account (a
/// member of the campaign for the `RemoveMember*` rows). Distributor rows
/// target the side's distributor itself; a super admin's distributor writes
/// a fresh distributor instead (deleting Acme would end the test). Create
/// rows name the side's distributor in the body where the body has one
/// (`CreateDistributor` has none: both sides send the same request).
/// `*UnderOwnCampaign` rows put the side's location or account under the
/// path of Acme's own open campaign "Acme Store".
///
/// Reports (every fixture account has `reports_enabled` here; its refusal
/// is tested in `reports`): the catalog is the same on both sides; the
/// campaign reports target the side's fresh campaign (`GetBuyerReport`
/// is Shopper Summary, which admin buyers may run, `GetStaffReport` Vendor
/// PO, which they may not); `GetDistributorSales` names the side's
/// distributor.
#[rustfmt::skip]
const MATRIX: &[(Op, [&str; 5])] = &[
    //                                   root       manager    sales      buyer      shopper
    (Op::Me,                             ["200/200", "200/200", "200/200", "200/200", "200/200"]),
    (Op::ListDistributors,               ["in/in",   "in/out",  "in/out",  "in/out",  "in/out"]),
    (Op::GetDistributor,                 ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::CreateDistributor,              ["201/201", "403/403", "403/403", "403/403", "403/403"]),
    (Op::UpdateDistributor,              ["200/200", "200/404", "403/404", "403/404", "403/404"]),
    (Op::UpdateDistributorStale,         ["412/412", "412/404", "403/404", "403/404", "403/404"]),
    (Op::DeleteDistributor,              ["204/204", "403/404", "403/404", "403/404", "403/404"]),
    (Op::ListAccounts,                   ["in/in",   "in/out",  "in/out",  "out/out", "out/out"]),
    (Op::GetAccount,                     ["200/200", "200/404", "200/404", "404/404", "404/404"]),
    (Op::CreateAccount,                  ["201/201", "201/404", "403/403", "403/403", "403/403"]),
    (Op::UpdateAccount,                  ["200/200", "200/404", "403/404", "404/404", "404/404"]),
    (Op::DeleteAccount,                  ["204/204", "204/404", "403/404", "404/404", "404/404"]),
    (Op::DeleteAccountStale,             ["412/412", "412/404", "403/404", "404/404", "404/404"]),
    (Op::ListCampaigns,                  ["in/in",   "in/out",  "in/out",  "in/out",  "in/out"]),
    (Op::GetCampaign,                    ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::GetCampaignIfNoneMatch,         ["304/304", "304/404", "304/404", "304/404", "304/404"]),
    (Op::GetDraftCampaign,               ["200/200", "200/404", "200/404", "200/404", "404/404"]),
    (Op::CreateCampaign,                 ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::UpdateCampaign,                 ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::UpdateCampaignStale,            ["412/412", "412/404", "412/404", "403/404", "403/404"]),
    (Op::DeleteDraftCampaign,            ["204/204", "204/404", "204/404", "403/404", "404/404"]),
    (Op::ChangeStatus,                   ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::Duplicate,                      ["201/201", "201/404", "201/404", "403/404", "403/404"]),
    (Op::ListMembers,                    ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::AddMember,                      ["201/201", "201/404", "201/404", "403/404", "403/404"]),
    (Op::RemoveMember,                   ["204/204", "204/404", "204/404", "403/404", "403/404"]),
    (Op::ListLocations,                  ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::CreateLocation,                 ["201/201", "201/404", "201/404", "403/404", "403/404"]),
    (Op::GetLocation,                    ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::UpdateLocation,                 ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::DeleteLocation,                 ["204/204", "204/404", "204/404", "403/404", "403/404"]),
    (Op::GetLocationUnderOwnCampaign,    ["404/404", "404/404", "404/404", "404/404", "404/404"]),
    (Op::UpdateLocationUnderOwnCampaign, ["404/404", "404/404", "404/404", "403/403", "403/403"]),
    (Op::AddMemberToOwnCampaign,         ["201/404", "201/404", "201/404", "403/403", "403/403"]),
    (Op::RemoveMemberUnderOwnCampaign,   ["404/404", "404/404", "404/404", "403/403", "403/403"]),
    (Op::ListStorefrontCampaigns,        ["in/in",   "in/out",  "in/out",  "in/out",  "in/out"]),
    (Op::ListStorefrontProducts,         ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::ListStorefrontProductsIfNoneMatch, ["304/304", "304/404", "304/404", "304/404", "304/404"]),
    (Op::GetBasket,                      ["403/403", "403/404", "403/404", "403/404", "200/404"]),
    (Op::GetBasketIfNoneMatch,           ["403/403", "403/404", "403/404", "403/404", "304/404"]),
    (Op::SetBasketItem,                  ["403/403", "403/404", "403/404", "403/404", "200/404"]),
    (Op::SetBasketItemStale,             ["403/403", "403/404", "403/404", "403/404", "412/404"]),
    (Op::SetForeignItemInOwnBasket,      ["403/403", "403/403", "403/403", "403/403", "404/404"]),
    (Op::EmptyBasket,                    ["403/403", "403/404", "403/404", "403/404", "200/404"]),
    (Op::Checkout,                       ["403/403", "403/404", "403/404", "403/404", "201/404"]),
    (Op::ListOrders,                     ["in/in",   "in/out",  "in/out",  "in/out",  "in/out"]),
    (Op::GetOrder,                       ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::GetOrderIfNoneMatch,            ["304/304", "304/404", "304/404", "304/404", "304/404"]),
    (Op::ApproveOrder,                   ["200/200", "200/404", "200/404", "200/404", "403/404"]),
    (Op::CancelOrder,                    ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::EditOrderItems,                 ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::ListOrderEvents,                ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::ListOrderNotes,                 ["200/200", "200/404", "200/404", "200/404", "403/404"]),
    (Op::AddOrderNote,                   ["201/201", "201/404", "201/404", "201/404", "403/404"]),
    (Op::GetOrderNote,                   ["200/200", "200/404", "200/404", "200/404", "403/404"]),
    (Op::EditOrderNote,                  ["200/200", "200/404", "200/404", "200/404", "403/404"]),
    (Op::DeleteOrderNote,                ["204/204", "204/404", "204/404", "204/404", "403/404"]),
    (Op::ListJobs,                       ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::GetJob,                         ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::RetryJob,                       ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::ListReports,                    ["200/200", "200/200", "200/200", "200/200", "403/403"]),
    (Op::GetBuyerReport,                 ["200/200", "200/404", "200/404", "200/404", "403/403"]),
    (Op::GetStaffReport,                 ["200/200", "200/404", "200/404", "403/404", "403/403"]),
    (Op::GetDistributorSales,            ["200/200", "200/404", "200/404", "403/404", "403/404"]),
];

impl Op {
    /// The operation as the OpenAPI document names it.
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Op::Me => ("GET", "/api/v1/auth/me"),
            Op::ListDistributors => ("GET", "/api/v1/organization/distributors"),
            Op::CreateDistributor => ("POST", "/api/v1/organization/distributors"),
            Op::GetDistributor => ("GET", "/api/v1/organization/distributors/{id}"),
            Op::UpdateDistributor | Op::UpdateDistributorStale => ("PATCH", "/api/v1/organization/distributors/{id}"),
            Op::DeleteDistributor => ("DELETE", "/api/v1/organization/distributors/{id}"),
            Op::ListAccounts => ("GET", "/api/v1/organization/accounts"),
            Op::CreateAccount => ("POST", "/api/v1/organization/accounts"),
            Op::GetAccount => ("GET", "/api/v1/organization/accounts/{id}"),
            Op::UpdateAccount => ("PATCH", "/api/v1/organization/accounts/{id}"),
            Op::DeleteAccount | Op::DeleteAccountStale => ("DELETE", "/api/v1/organization/accounts/{id}"),
            Op::ListCampaigns => ("GET", "/api/v1/organization/campaigns"),
            Op::CreateCampaign => ("POST", "/api/v1/organization/campaigns"),
            Op::GetCampaign | Op::GetCampaignIfNoneMatch | Op::GetDraftCampaign => {
                ("GET", "/api/v1/organization/campaigns/{id}")
            }
            Op::UpdateCampaign | Op::UpdateCampaignStale => ("PATCH", "/api/v1/organization/campaigns/{id}"),
            Op::DeleteDraftCampaign => ("DELETE", "/api/v1/organization/campaigns/{id}"),
            Op::ChangeStatus => ("POST", "/api/v1/organization/campaigns/{id}/status"),
            Op::Duplicate => ("POST", "/api/v1/organization/campaigns/{id}/duplicate"),
            Op::ListMembers => ("GET", "/api/v1/organization/campaigns/{id}/members"),
            Op::AddMember | Op::AddMemberToOwnCampaign => ("POST", "/api/v1/organization/campaigns/{id}/members"),
            Op::RemoveMember | Op::RemoveMemberUnderOwnCampaign => {
                ("DELETE", "/api/v1/organization/campaigns/{id}/members/{account_id}")
            }
            Op::ListLocations => ("GET", "/api/v1/organization/campaigns/{id}/locations"),
            Op::CreateLocation => ("POST", "/api/v1/organization/campaigns/{id}/locations"),
            Op::GetLocation | Op::GetLocationUnderOwnCampaign => {
                ("GET", "/api/v1/organization/campaigns/{id}/locations/{location_id}")
            }
            Op::UpdateLocation | Op::UpdateLocationUnderOwnCampaign => {
                ("PATCH", "/api/v1/organization/campaigns/{id}/locations/{location_id}")
            }
            Op::DeleteLocation => ("DELETE", "/api/v1/organization/campaigns/{id}/locations/{location_id}"),
            Op::ListStorefrontCampaigns => ("GET", "/api/v1/storefront/campaigns"),
            Op::ListStorefrontProducts | Op::ListStorefrontProductsIfNoneMatch => {
                ("GET", "/api/v1/storefront/campaigns/{id}/products")
            }
            Op::GetBasket | Op::GetBasketIfNoneMatch => ("GET", "/api/v1/storefront/campaigns/{id}/basket"),
            Op::EmptyBasket => ("DELETE", "/api/v1/storefront/campaigns/{id}/basket"),
            Op::SetBasketItem | Op::SetBasketItemStale | Op::SetForeignItemInOwnBasket => {
                ("PUT", "/api/v1/storefront/campaigns/{id}/basket/items/{item_id}")
            }
            Op::Checkout => ("POST", "/api/v1/storefront/campaigns/{id}/checkout"),
            Op::ListOrders => ("GET", "/api/v1/orders"),
            Op::GetOrder | Op::GetOrderIfNoneMatch => ("GET", "/api/v1/orders/{id}"),
            Op::ApproveOrder | Op::CancelOrder => ("POST", "/api/v1/orders/{id}/transitions"),
            Op::EditOrderItems => ("POST", "/api/v1/orders/{id}/edits"),
            Op::ListOrderEvents => ("GET", "/api/v1/orders/{id}/events"),
            Op::ListOrderNotes => ("GET", "/api/v1/orders/{id}/notes"),
            Op::AddOrderNote => ("POST", "/api/v1/orders/{id}/notes"),
            Op::GetOrderNote => ("GET", "/api/v1/orders/{id}/notes/{note_id}"),
            Op::ListJobs => ("GET", "/api/v1/jobs"),
            Op::GetJob => ("GET", "/api/v1/jobs/{id}"),
            Op::RetryJob => ("POST", "/api/v1/jobs/{id}/retry"),
            Op::ListReports => ("GET", "/api/v1/reports"),
            Op::GetBuyerReport | Op::GetStaffReport => ("GET", "/api/v1/reports/{slug}/campaigns/{campaign_id}"),
            Op::GetDistributorSales => ("GET", "/api/v1/reports/distributor-sales"),
            Op::EditOrderNote => ("PATCH", "/api/v1/orders/{id}/notes/{note_id}"),
            Op::DeleteOrderNote => ("DELETE", "/api/v1/orders/{id}/notes/{note_id}"),
        }
    }

    /// Whether the cell needs a campaign item, a basket line and an order.
    fn shops(self) -> bool {
        matches!(
            self,
            Op::ListStorefrontProducts
                | Op::ListStorefrontProductsIfNoneMatch
                | Op::GetBasket
                | Op::GetBasketIfNoneMatch
                | Op::SetBasketItem
                | Op::SetBasketItemStale
                | Op::SetForeignItemInOwnBasket
                | Op::EmptyBasket
                | Op::Checkout
                | Op::ListOrders
                | Op::GetOrder
                | Op::GetOrderIfNoneMatch
                | Op::ApproveOrder
                | Op::CancelOrder
                | Op::EditOrderItems
                | Op::ListOrderEvents
                | Op::ListOrderNotes
                | Op::AddOrderNote
                | Op::GetOrderNote
                | Op::EditOrderNote
                | Op::DeleteOrderNote
        )
    }

    fn is_write(self) -> bool {
        self.route().0 != "GET"
    }

    /// The id a filtered list row must hold.
    fn listed_id(self, t: &Target) -> i64 {
        match self {
            Op::ListDistributors => t.distributor,
            Op::ListAccounts => t.account,
            Op::ListOrders => t.order,
            Op::ListJobs => t.job,
            _ => t.campaign,
        }
    }

    fn campaign_status(self) -> &'static str {
        if matches!(self, Op::GetDraftCampaign | Op::DeleteDraftCampaign) { "draft" } else { "active" }
    }

    fn account_is_member(self) -> bool {
        matches!(self, Op::RemoveMember | Op::RemoveMemberUnderOwnCampaign)
    }

    /// A super admin's distributor writes act on a fresh distributor.
    fn fresh_distributor(self, who: Who) -> bool {
        who == Who::Root && matches!(self, Op::UpdateDistributor | Op::UpdateDistributorStale | Op::DeleteDistributor)
    }

    /// The request for target `t` (a real one or [`Target::ghost`]); `n`
    /// makes names unique.
    fn request(self, t: &Target, own_campaign: i64, n: usize) -> Req {
        let id_filter =
            |id: i64| format!("?count=exact&filter={}", enc(&format!(r#"[{{"field":"id","op":"==","value":{id}}}]"#)));
        let campaign = format!("{ORG}/campaigns/{}", t.campaign);
        let location = format!("{campaign}/locations/{}", t.location);
        let under_own = format!("{ORG}/campaigns/{own_campaign}");
        let stale = |model: &str, id: i64| vec![("If-Match", format!("\"{model}-{id}-999\""))];
        let (method, path, headers, body) = match self {
            Op::Me => (Method::GET, "/api/v1/auth/me".to_owned(), vec![], None),
            Op::ListDistributors => {
                (Method::GET, format!("{ORG}/distributors{}", id_filter(t.distributor)), vec![], None)
            }
            Op::GetDistributor => (Method::GET, format!("{ORG}/distributors/{}", t.distributor), vec![], None),
            Op::CreateDistributor => (
                Method::POST,
                format!("{ORG}/distributors"),
                vec![],
                Some(json!({"name": format!("New {n}"), "email": format!("new{n}@example.com")})),
            ),
            Op::UpdateDistributor => (
                Method::PATCH,
                format!("{ORG}/distributors/{}", t.distributor),
                vec![],
                Some(json!({"address": format!("Cell {n}")})),
            ),
            Op::UpdateDistributorStale => (
                Method::PATCH,
                format!("{ORG}/distributors/{}", t.distributor),
                stale("distributor", t.distributor),
                Some(json!({"address": format!("Cell {n}")})),
            ),
            Op::DeleteDistributor => (Method::DELETE, format!("{ORG}/distributors/{}", t.distributor), vec![], None),
            Op::ListAccounts => (Method::GET, format!("{ORG}/accounts{}", id_filter(t.account)), vec![], None),
            Op::GetAccount => (Method::GET, format!("{ORG}/accounts/{}", t.account), vec![], None),
            Op::CreateAccount => (
                Method::POST,
                format!("{ORG}/accounts"),
                vec![],
                Some(json!({
                    "username": format!("cell_{n}"), "email": format!("cell_{n}@example.com"), "role": "shopper",
                    "distributor_id": t.distributor, "password": "a-long-passphrase"
                })),
            ),
            Op::UpdateAccount => (
                Method::PATCH,
                format!("{ORG}/accounts/{}", t.account),
                vec![],
                Some(json!({"first_name": format!("Cell {n}")})),
            ),
            Op::DeleteAccount => (Method::DELETE, format!("{ORG}/accounts/{}", t.account), vec![], None),
            Op::DeleteAccountStale => {
                (Method::DELETE, format!("{ORG}/accounts/{}", t.account), stale("account", t.account), None)
            }
            Op::ListCampaigns => (Method::GET, format!("{ORG}/campaigns{}", id_filter(t.campaign)), vec![], None),
            Op::GetCampaign | Op::GetDraftCampaign => (Method::GET, campaign, vec![], None),
            Op::GetCampaignIfNoneMatch => (Method::GET, campaign, vec![("If-None-Match", "*".to_owned())], None),
            Op::CreateCampaign => (
                Method::POST,
                format!("{ORG}/campaigns"),
                vec![],
                Some(json!({"name": format!("New {n}"), "distributor_id": t.distributor})),
            ),
            Op::UpdateCampaign => (Method::PATCH, campaign, vec![], Some(json!({"message": format!("Cell {n}")}))),
            Op::UpdateCampaignStale => {
                (Method::PATCH, campaign, stale("campaign", t.campaign), Some(json!({"message": format!("Cell {n}")})))
            }
            Op::DeleteDraftCampaign => (Method::DELETE, campaign, vec![], None),
            Op::ChangeStatus => (Method::POST, format!("{campaign}/status"), vec![], Some(json!({"to": "closed"}))),
            Op::Duplicate => {
                (Method::POST, format!("{campaign}/duplicate"), vec![], Some(json!({"name": format!("Copy {n}")})))
            }
            Op::ListMembers => (Method::GET, format!("{campaign}/members?count=exact"), vec![], None),
            Op::AddMember => {
                (Method::POST, format!("{campaign}/members"), vec![], Some(json!({"account_id": t.account})))
            }
            Op::RemoveMember => (Method::DELETE, format!("{campaign}/members/{}", t.account), vec![], None),
            Op::ListLocations => (Method::GET, format!("{campaign}/locations?count=exact"), vec![], None),
            Op::CreateLocation => {
                (Method::POST, format!("{campaign}/locations"), vec![], Some(json!({"nickname": format!("New {n}")})))
            }
            Op::GetLocation => (Method::GET, location, vec![], None),
            Op::UpdateLocation => (Method::PATCH, location, vec![], Some(json!({"city": format!("Cell {n}")}))),
            Op::DeleteLocation => (Method::DELETE, location, vec![], None),
            Op::GetLocationUnderOwnCampaign => {
                (Method::GET, format!("{under_own}/locations/{}", t.location), vec![], None)
            }
            Op::UpdateLocationUnderOwnCampaign => (
                Method::PATCH,
                format!("{under_own}/locations/{}", t.location),
                vec![],
                Some(json!({"city": format!("Cell {n}")})),
            ),
            Op::AddMemberToOwnCampaign => {
                (Method::POST, format!("{under_own}/members"), vec![], Some(json!({"account_id": t.account})))
            }
            Op::RemoveMemberUnderOwnCampaign => {
                (Method::DELETE, format!("{under_own}/members/{}", t.account), vec![], None)
            }
            Op::ListStorefrontCampaigns => (Method::GET, format!("{SHOP}{}", id_filter(t.campaign)), vec![], None),
            Op::ListStorefrontProducts => {
                (Method::GET, format!("{SHOP}/{}/products?count=exact", t.campaign), vec![], None)
            }
            Op::ListStorefrontProductsIfNoneMatch => {
                (Method::GET, format!("{SHOP}/{}/products", t.campaign), vec![("If-None-Match", "*".to_owned())], None)
            }
            Op::GetBasket => (Method::GET, format!("{SHOP}/{}/basket", t.campaign), vec![], None),
            Op::GetBasketIfNoneMatch => {
                (Method::GET, format!("{SHOP}/{}/basket", t.campaign), vec![("If-None-Match", "*".to_owned())], None)
            }
            Op::SetBasketItem => (
                Method::PUT,
                format!("{SHOP}/{}/basket/items/{}", t.campaign, t.item),
                vec![],
                Some(json!({"quantity": 2})),
            ),
            Op::SetBasketItemStale => (
                Method::PUT,
                format!("{SHOP}/{}/basket/items/{}", t.campaign, t.item),
                stale("basket", t.campaign),
                Some(json!({"quantity": 2})),
            ),
            // The target's item put into the caller's own (Acme) campaign: an
            // item of another campaign, or of another distributor, is 404.
            Op::SetForeignItemInOwnBasket => (
                Method::PUT,
                format!("{SHOP}/{}/basket/items/{}", t.own_shop, t.item),
                vec![],
                Some(json!({"quantity": 1})),
            ),
            Op::EmptyBasket => (Method::DELETE, format!("{SHOP}/{}/basket", t.campaign), vec![], None),
            Op::Checkout => (
                Method::POST,
                format!("{SHOP}/{}/checkout", t.campaign),
                vec![("Idempotency-Key", format!("cell-{n}-{}", t.campaign))],
                Some(json!({})),
            ),
            Op::ListOrders => (Method::GET, format!("/api/v1/orders{}", id_filter(t.order)), vec![], None),
            Op::GetOrder => (Method::GET, format!("/api/v1/orders/{}", t.order), vec![], None),
            Op::GetOrderIfNoneMatch => {
                (Method::GET, format!("/api/v1/orders/{}", t.order), vec![("If-None-Match", "*".to_owned())], None)
            }
            Op::ApproveOrder => (
                Method::POST,
                format!("/api/v1/orders/{}/transitions", t.order),
                vec![],
                Some(json!({"to": "approved"})),
            ),
            Op::CancelOrder => (
                Method::POST,
                format!("/api/v1/orders/{}/transitions", t.order),
                vec![],
                Some(json!({"to": "cancelled"})),
            ),
            Op::EditOrderItems => (
                Method::POST,
                format!("/api/v1/orders/{}/edits", t.order),
                vec![],
                Some(json!({"lines": [{"id": t.line, "quantity": 2}]})),
            ),
            Op::ListOrderEvents => {
                (Method::GET, format!("/api/v1/orders/{}/events?count=exact", t.order), vec![], None)
            }
            Op::ListOrderNotes => (Method::GET, format!("/api/v1/orders/{}/notes?count=exact", t.order), vec![], None),
            Op::AddOrderNote => (
                Method::POST,
                format!("/api/v1/orders/{}/notes", t.order),
                vec![("Idempotency-Key", format!("cell-{n}-{}", t.order))],
                Some(json!({"body": "call the client"})),
            ),
            Op::GetOrderNote => (Method::GET, format!("/api/v1/orders/{}/notes/{}", t.order, t.note), vec![], None),
            Op::ListJobs => (Method::GET, format!("/api/v1/jobs{}", id_filter(t.job)), vec![], None),
            Op::GetJob => (Method::GET, format!("/api/v1/jobs/{}", t.job), vec![], None),
            Op::RetryJob => (Method::POST, format!("/api/v1/jobs/{}/retry", t.job), vec![], None),
            Op::ListReports => (Method::GET, "/api/v1/reports".to_owned(), vec![], None),
            Op::GetBuyerReport => {
                (Method::GET, format!("/api/v1/reports/shopper-summary/campaigns/{}", t.campaign), vec![], None)
            }
            Op::GetStaffReport => {
                (Method::GET, format!("/api/v1/reports/vendor-po/campaigns/{}", t.campaign), vec![], None)
            }
            Op::GetDistributorSales => (
                Method::GET,
                format!(
                    "/api/v1/reports/distributor-sales?from=2026-01-01&to=2026-12-31&distributor_id={}",
                    t.distributor
                ),
                vec![],
                None,
            ),
            Op::EditOrderNote => (
                Method::PATCH,
                format!("/api/v1/orders/{}/notes/{}", t.order, t.note),
                vec![],
                Some(json!({"body": "called the client"})),
            ),
            Op::DeleteOrderNote => {
                (Method::DELETE, format!("/api/v1/orders/{}/notes/{}", t.order, t.note), vec![], None)
            }
        };
        Req { method, path, headers, body }
    }
}

struct Req {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl Req {
    /// The ids this request names.
    fn named(&self) -> BTreeSet<i64> {
        named_ids(&self.path, self.headers.iter().map(|(_, v)| v.as_str()), self.body.as_ref())
    }
}

async fn send(app: &TestApp, token: &str, req: Req) -> Resp {
    let headers: Vec<(&str, &str)> = req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.request(req.method, &req.path, Some(token), &headers, req.body).await
}

// ---- outcomes ---------------------------------------------------------------------

fn ids(r: &Resp) -> Vec<i64> {
    r.body.as_array().map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect()).unwrap_or_default()
}

/// Why `r` is not `expected`, if it is not.
fn mismatch(expected: Outcome, op: Op, t: &Target, r: &Resp) -> Option<String> {
    let got = r.status.as_u16();
    let wrong = || Some(format!("expected {expected}, got {got} ({})", short(&r.text)));
    if got >= 400 && r.header("content-type") != Some("application/problem+json") {
        return Some(format!("a {got} that is not problem+json: {}", short(&r.text)));
    }
    let count = r.header("x-total-count");
    match expected {
        Outcome::Status(code) if got != code => wrong(),
        Outcome::Forbidden if got != 403 => wrong(),
        Outcome::Hidden if got != 404 => wrong(),
        Outcome::Listed if got != 200 || ids(r) != [op.listed_id(t)] || count != Some("1") => wrong(),
        Outcome::Unlisted if got != 200 || r.body != json!([]) || count != Some("0") => wrong(),
        // Every list is counted, but the report catalog (no query language).
        _ if got == 200
            && r.body.is_array()
            && op != Op::ListReports
            && count != Some(ids(r).len().to_string().as_str()) =>
        {
            Some(format!("X-Total-Count {count:?} for {} items", ids(r).len()))
        }
        _ => None,
    }
}

// ---- the fixture ----------------------------------------------------------------

/// A cell's target objects.
#[derive(Debug, Clone, Copy)]
struct Target {
    distributor: i64,
    campaign: i64,
    location: i64,
    account: i64,
    /// A priced item of the campaign (shop cells only).
    item: i64,
    /// An order of the side's shopper in the campaign (shop cells only).
    order: i64,
    /// The order's one line.
    line: i64,
    /// A note of the side's admin buyer on the order.
    note: i64,
    /// An open campaign of the caller's own side (Acme) whose members are
    /// Acme's buyer and shopper (shop cells only).
    own_shop: i64,
    /// A dead job of the side's distributor (job cells only).
    job: i64,
}

impl Target {
    /// The same request about objects that do not exist.
    const GHOST: Target = Target {
        distributor: GHOST,
        campaign: GHOST,
        location: GHOST,
        account: GHOST,
        item: GHOST,
        order: GHOST,
        line: GHOST,
        note: GHOST,
        own_shop: GHOST,
        job: GHOST,
    };
}

struct Fixture {
    w: World,
    /// An open Acme campaign with a roomy allowance for the shop cells.
    own_shop: i64,
    /// Each side's admin buyer and shopper, members of every fresh campaign.
    members: [[i64; 2]; 2],
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let w = World::build(app).await;
        let mut members = [[0; 2]; 2];
        for (i, side) in ["acme", "globex"].into_iter().enumerate() {
            members[i] =
                [id_of(&app.pool, &format!("{side}_buyer")).await, id_of(&app.pool, &format!("{side}_shopper")).await];
        }
        let own_shop: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (distributor_id, name, company_name, status, start_date, end_date, company_allowance) \
             VALUES ($1, 'acme own shop', 'Client Co', 'active', (now() AT TIME ZONE 'UTC')::date - 30, \
                     (now() AT TIME ZONE 'UTC')::date + 30, 1000) RETURNING id",
        )
        .bind(w.acme)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        for m in members[0] {
            sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
                .bind(own_shop)
                .bind(m)
                .bind(w.acme)
                .execute(&app.pool)
                .await
                .unwrap();
        }
        // Every account of the fixture may download reports (the refusal of
        // an account without them is tested in `reports`).
        sqlx::query("UPDATE accounts SET reports_enabled = TRUE").execute(&app.pool).await.unwrap();
        Fixture { w, own_shop, members }
    }

    fn distributor(&self, side: Side) -> i64 {
        match side {
            Side::Acme => self.w.acme,
            Side::Globex => self.w.globex,
        }
    }

    /// Fresh objects of `side` for one cell, named after the side.
    async fn target(&self, pool: &PgPool, op: Op, who: Who, side: Side, n: usize) -> Target {
        let d = self.distributor(side);
        let tag = if side == Side::Acme { "acme" } else { "globex" };
        let campaign: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (distributor_id, name, company_name, status, start_date, end_date, message) \
             VALUES ($1, $2, 'Client Co', $3, (now() AT TIME ZONE 'UTC')::date - 30, \
                     (now() AT TIME ZONE 'UTC')::date + 30, 'Welcome') RETURNING id",
        )
        .bind(d)
        .bind(format!("{tag} cell {n}"))
        .bind(op.campaign_status())
        .fetch_one(pool)
        .await
        .unwrap();
        let account: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
             VALUES ($1, $1 || '@example.com', 'not-a-hash', 'shopper', $2) RETURNING id",
        )
        .bind(format!("{tag}_cell_{n}"))
        .bind(d)
        .fetch_one(pool)
        .await
        .unwrap();
        // The cell's account has a live session, so a refused request that
        // revokes it shows as a change.
        sqlx::query(
            "INSERT INTO refresh_tokens (account_id, family, token_hash, expires_at) \
             VALUES ($1, $2, $3, now() + interval '1 day')",
        )
        .bind(account)
        .bind(format!("cell-family-{tag}-{n}"))
        .bind(format!("cell-token-{tag}-{n}").into_bytes())
        .execute(pool)
        .await
        .unwrap();
        let mut members = self.members[usize::from(side == Side::Globex)].to_vec();
        if op.account_is_member() {
            members.push(account);
        }
        for m in members {
            sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
                .bind(campaign)
                .bind(m)
                .bind(d)
                .execute(pool)
                .await
                .unwrap();
        }
        let location: i64 = sqlx::query_scalar(
            "INSERT INTO locations (campaign_id, distributor_id, nickname, city) VALUES ($1, $2, $3, 'Springfield') \
             RETURNING id",
        )
        .bind(campaign)
        .bind(d)
        .bind(format!("{tag} location {n}"))
        .fetch_one(pool)
        .await
        .unwrap();
        let distributor = if op.fresh_distributor(who) {
            sqlx::query_scalar("INSERT INTO distributors (name, email) VALUES ($1, 'fresh@example.com') RETURNING id")
                .bind(format!("{tag} fresh {n}"))
                .fetch_one(pool)
                .await
                .unwrap()
        } else {
            d
        };
        let (mut item, mut order, mut line, mut note, mut own_shop) = (0, 0, 0, 0, 0);
        if op.shops() {
            let [buyer, shopper] = self.members[usize::from(side == Side::Globex)];
            (item, order, line, note) =
                shop_fixture(pool, d, campaign, [buyer, shopper], &format!("{tag}-cell-{n}")).await;
            own_shop = self.own_shop;
        }
        let job = if matches!(op, Op::ListJobs | Op::GetJob | Op::RetryJob) {
            sqlx::query_scalar(
                "INSERT INTO jobs (distributor_id, kind, state, attempts, last_error, finished_at) \
                 VALUES ($1, 'noop', 'dead', 8, 'the SMTP server refused', now()) RETURNING id",
            )
            .bind(d)
            .fetch_one(pool)
            .await
            .unwrap()
        } else {
            0
        };
        Target { distributor, campaign, location, account, item, order, line, note, own_shop, job }
    }
}

/// A priced item (6.31) in `campaign` ([`crate::helpers::offer_product`]), a basket line of it for `shopper`, an
/// order of `shopper` in the campaign with a note of `buyer`, and an
/// allowance roomy enough for a checkout; returns the item's, the order's,
/// its line's and the note's ids.
async fn shop_fixture(
    pool: &PgPool,
    d: i64,
    campaign: i64,
    [buyer, shopper]: [i64; 2],
    key: &str,
) -> (i64, i64, i64, i64) {
    let item = crate::helpers::offer_product(pool, d, campaign, None).await;
    let (order, line, note): (i64, i64, i64) = sqlx::query_as(
        "WITH c AS (UPDATE campaigns SET company_allowance = 1000 WHERE id = $2), \
              b AS (INSERT INTO baskets (account_id, campaign_id, distributor_id) VALUES ($3, $2, $1)), \
              bi AS (INSERT INTO basket_items (account_id, campaign_id, campaign_item_id, distributor_id, quantity, \
                                               unit_price) VALUES ($3, $2, $5, $1, 1, 6.31)), \
              o AS (INSERT INTO orders (number, distributor_id, account_id, campaign_id, items_count, subtotal, \
                                        allowance_applied, payroll_deduction) \
                    VALUES ($4, $1, $3, $2, 1, 6.31, 6.31, 0) RETURNING id), \
              oi AS (INSERT INTO order_items (order_id, distributor_id, campaign_item_id, sku, product_name, quantity, \
                                              unit_price, line_total) SELECT o.id, $1, $5, $4, $4, 1, 6.31, 6.31 FROM o \
                     RETURNING id), \
              l AS (INSERT INTO allowance_ledger (account_id, campaign_id, distributor_id, order_id, kind, amount, balance) \
                    SELECT $3, $2, $1, o.id, 'checkout', 6.31, 993.69 FROM o), \
              n AS (INSERT INTO order_notes (order_id, distributor_id, author_id, edited_by, body) \
                    SELECT o.id, $1, $6, $6, 'hold until Friday' FROM o RETURNING id) \
         SELECT o.id, oi.id, n.id FROM o, oi, n",
    )
    .bind(d)
    .bind(campaign)
    .bind(shopper)
    .bind(key)
    .bind(item)
    .bind(buyer)
    .fetch_one(pool)
    .await
    .unwrap();
    (item, order, line, note)
}

async fn tokens(app: &TestApp) -> Vec<String> {
    let mut tokens = Vec::new();
    for who in ROLES {
        tokens.push(app.login(who.username()).await.0);
    }
    tokens
}

/// The routes the rows name, for the spec-wide coverage test.
pub(crate) fn routes() -> Vec<(String, String)> {
    MATRIX.iter().map(|(op, _)| (op.route().0.to_owned(), op.route().1.to_owned())).collect()
}

// ---- the matrix -------------------------------------------------------------------

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_role_on_every_operation_on_both_sides(pool: PgPool) {
    // The matrix covers every operation of the namespace.
    let spec: Value = serde_json::from_str(&api::document::document()).unwrap();
    let covered: BTreeSet<(&str, &str)> = MATRIX.iter().map(|(op, _)| op.route()).collect();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let inside = path.starts_with(ORG)
                || path.starts_with("/api/v1/storefront")
                || path.starts_with("/api/v1/orders")
                || path.starts_with("/api/v1/jobs")
                || path.starts_with("/api/v1/reports")
                || path == "/api/v1/auth/me";
            if inside && !covered.contains(&(method.as_str(), path.as_str())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "operations missing from the matrix: {missing:?}");

    let app = TestApp::counted(pool.clone()).await;
    let fx = Fixture::new(&app).await;
    let tokens = tokens(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    let mut expected_cells = 0;
    let mut write_statements = Vec::new();
    for &(op, row) in MATRIX {
        let sent: Vec<&str> =
            op.request(&Target::GHOST, fx.w.acme_campaign, 0).headers.iter().map(|(k, _)| *k).collect();
        let variants = Variant::of(op.route(), &sent);
        expected_cells += variants.len() * ROLES.len() * 2;
        for variant in variants {
            for (i, who) in ROLES.into_iter().enumerate() {
                let (acme, globex) = Outcome::pair(row[i]);
                for (side, plain) in [(Side::Acme, acme), (Side::Globex, globex)] {
                    let expected = variant.expect(plain);
                    cells += 1;
                    let token = &tokens[i];
                    let target = fx.target(&pool, op, who, side, cells).await;
                    let before = fingerprint(&pool, &app.state.cache).await;
                    let mut req = op.request(&target, fx.w.acme_campaign, cells);
                    req.headers.extend(variant.add(cells));
                    let named = req.named();
                    // Authentication's cached account state is warmed first, so
                    // the count is the write's own.
                    let measured = variant == Variant::Plain && op.is_write();
                    if measured {
                        app.get("/api/v1/auth/me", token).await;
                    }
                    let (statements, r) = crate::statements::statements_of(&app, send(&app, token, req)).await;
                    if measured && r.status.is_success() {
                        write_statements.push(format!("{op:?} {who:?} {side:?}: {statements}"));
                    }
                    let mut problems = Vec::new();
                    problems.extend(mismatch(expected, op, &target, &r));
                    if who != Who::Root {
                        problems.extend(leak(&r, fx.w.acme));
                    }
                    // A hidden object, and anything refused on the other side,
                    // answers exactly as one that does not exist.
                    let refused = r.status.is_client_error();
                    let foreign = who != Who::Root && side == Side::Globex;
                    if refused && (expected == Outcome::Hidden || foreign) {
                        // The caller's own campaign stays real: only the other side's ids are made up.
                        let ghost_target = Target { own_shop: target.own_shop, ..Target::GHOST };
                        let mut req = op.request(&ghost_target, fx.w.acme_campaign, cells);
                        req.headers.extend(variant.add(cells));
                        let ghost_named = req.named();
                        let ghost = send(&app, token, req).await;
                        problems.extend(tells_apart(&r, &named, &ghost, &ghost_named));
                    }
                    let after = fingerprint(&pool, &app.state.cache).await;
                    let caller = (who != Who::Root).then_some(fx.w.acme);
                    problems.extend(change_problems(&before, &after, &r, op.is_write(), target.distributor, caller));
                    for p in problems {
                        failures.push(format!("{op:?} ({variant:?}) {who:?} {side:?}: {p}"));
                    }
                }
            }
        }
    }
    assert_eq!(cells, expected_cells);
    crate::statements::assert_golden("matrix_write_statements.txt", &write_statements);
    assert!(failures.is_empty(), "{} of {cells} cells failed:\n{}", failures.len(), failures.join("\n"));
}

// ---- lists, counts and expansions ----------------------------------------------------

/// Ids from SQL: the ground truth for what a role may list.
async fn sql_ids(pool: &PgPool, sql: &'static str, bind: i64) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>(sql).bind(bind).fetch_all(pool).await.unwrap().into_iter().collect()
}

/// Every item of a list, following `Link: rel=next`, checking that each
/// page's `X-Total-Count` is the whole list's size.
async fn list_all(app: &TestApp, token: &str, first: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut url = first.to_owned();
    let mut totals = BTreeSet::new();
    loop {
        let r = app.get(&url, token).await;
        if r.status != 200 {
            return Err(format!("GET {url}: {} {}", r.status, short(&r.text)));
        }
        items.extend(r.body.as_array().cloned().unwrap_or_default());
        totals.insert(r.header("x-total-count").unwrap_or("none").to_owned());
        match r.header("link") {
            Some(link) => url = link[link.find('<').unwrap() + 1..link.find('>').unwrap()].to_owned(),
            None => break,
        }
    }
    let n = items.len().to_string();
    if totals.len() != 1 || !totals.contains(&n) {
        return Err(format!("GET {first}: X-Total-Count {totals:?} for {n} items"));
    }
    Ok(items)
}

fn id_set(items: &[Value]) -> BTreeSet<i64> {
    items.iter().filter_map(|i| i["id"].as_i64()).collect()
}

fn nested_ids(item: &Value, relation: &str) -> BTreeSet<i64> {
    item[relation].as_array().map(|a| id_set(a)).unwrap_or_default()
}

/// Seeds both distributors alike with more to see and more to hide: a draft
/// the buyer and shopper belong to, a closed campaign they belong to, an
/// active campaign without members, two locations in every campaign, more
/// accounts of each role; and a soft-deleted third distributor.
async fn seed(app: &TestApp, w: &World) {
    let pool = &app.pool;
    for (tag, d) in [("acme", w.acme), ("globex", w.globex)] {
        let buyer = id_of(pool, &format!("{tag}_buyer")).await;
        let shopper = id_of(pool, &format!("{tag}_shopper")).await;
        for (name, status, members) in [
            ("draft", "draft", vec![buyer, shopper]),
            ("closed", "closed", vec![buyer, shopper]),
            ("lonely", "active", vec![]),
        ] {
            let c: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (distributor_id, name, status, start_date, end_date, message) \
                 VALUES ($1, $2, $3, current_date - 1, current_date + 1, 'Hi') RETURNING id",
            )
            .bind(d)
            .bind(format!("{tag} {name}"))
            .bind(status)
            .fetch_one(pool)
            .await
            .unwrap();
            for m in members {
                sqlx::query(
                    "INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)",
                )
                .bind(c)
                .bind(m)
                .bind(d)
                .execute(pool)
                .await
                .unwrap();
            }
        }
        sqlx::query(
            "INSERT INTO locations (campaign_id, distributor_id, nickname) \
             SELECT c.id, c.distributor_id, c.name || ' ' || n FROM campaigns c, generate_series(1, 2) n \
             WHERE c.distributor_id = $1",
        )
        .bind(d)
        .execute(pool)
        .await
        .unwrap();
        for role in ["shopper", "admin_buyer", "sales_executive"] {
            sqlx::query(
                "INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
                 VALUES ($1, $1 || '@example.com', 'not-a-hash', $2, $3)",
            )
            .bind(format!("{tag}_extra_{role}"))
            .bind(role)
            .bind(d)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    sqlx::query("INSERT INTO distributors (name, is_deleted) VALUES ('Deleted Co', true)").execute(pool).await.unwrap();
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn lists_counts_pages_and_expansions_stay_in_scope(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    seed(&app, &w).await;
    let tokens = tokens(&app).await;
    let globex_of = |table: &'static str| sql_ids(&pool, table, w.globex);
    let globex_accounts = globex_of("SELECT id FROM accounts WHERE distributor_id = $1").await;
    let globex_campaigns = globex_of("SELECT id FROM campaigns WHERE distributor_id = $1").await;
    let globex_locations = globex_of("SELECT id FROM locations WHERE distributor_id = $1").await;
    let globex_distributors = BTreeSet::from([w.globex]);
    let mut failures = Vec::new();
    let mut checks = 0;

    for (who, token) in ROLES.into_iter().zip(&tokens) {
        let me = id_of(&pool, who.username()).await;
        let root = who == Who::Root;
        let (distributors, accounts, campaigns) = match who {
            Who::Root => (
                sql_ids(&pool, "SELECT id FROM distributors WHERE NOT is_deleted AND $1::bigint IS NOT NULL", 0).await,
                sql_ids(&pool, "SELECT id FROM accounts WHERE $1::bigint IS NOT NULL", 0).await,
                sql_ids(&pool, "SELECT id FROM campaigns WHERE $1::bigint IS NOT NULL", 0).await,
            ),
            Who::Manager | Who::Sales => (
                BTreeSet::from([w.acme]),
                sql_ids(&pool, "SELECT id FROM accounts WHERE distributor_id = $1", w.acme).await,
                sql_ids(&pool, "SELECT id FROM campaigns WHERE distributor_id = $1", w.acme).await,
            ),
            Who::Buyer => (
                BTreeSet::from([w.acme]),
                BTreeSet::from([me]),
                sql_ids(&pool, "SELECT campaign_id FROM campaign_members WHERE account_id = $1", me).await,
            ),
            Who::Shopper => (
                BTreeSet::from([w.acme]),
                BTreeSet::from([me]),
                sql_ids(
                    &pool,
                    "SELECT m.campaign_id FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
                     WHERE m.account_id = $1 AND c.status = 'active'",
                    me,
                )
                .await,
            ),
        };
        let acme_locations = sql_ids(&pool, "SELECT id FROM locations WHERE campaign_id = $1", w.acme_campaign).await;
        let acme_members =
            sql_ids(&pool, "SELECT account_id FROM campaign_members WHERE campaign_id = $1", w.acme_campaign).await;

        // Whole lists with an exact count, in one page and in pages of two.
        let lists: [(&str, String, &BTreeSet<i64>, &BTreeSet<i64>); 5] = [
            ("distributors", format!("{ORG}/distributors"), &distributors, &globex_distributors),
            ("accounts", format!("{ORG}/accounts"), &accounts, &globex_accounts),
            ("campaigns", format!("{ORG}/campaigns"), &campaigns, &globex_campaigns),
            ("locations", format!("{ORG}/campaigns/{}/locations", w.acme_campaign), &acme_locations, &globex_locations),
            ("members", format!("{ORG}/campaigns/{}/members", w.acme_campaign), &acme_members, &globex_accounts),
        ];
        for (what, url, expected, globex) in lists {
            for query in ["?count=exact&page_size=500", "?count=exact&page_size=2"] {
                checks += 1;
                let got = list_all(&app, token, &format!("{url}{query}")).await;
                let got = match (what, who.is_staff(), got) {
                    ("members", false, Err(e)) if e.contains(": 403 ") => continue,
                    (_, _, Err(e)) => {
                        failures.push(format!("{who:?} {what}: {e}"));
                        continue;
                    }
                    (_, _, Ok(items)) => id_set(&items),
                };
                if what == "members" && !who.is_staff() {
                    failures.push(format!("{who:?} {what}: listed, expected 403"));
                }
                if &got != expected {
                    failures.push(format!("{who:?} {what}{query}: got {got:?}, expected {expected:?}"));
                }
                if !root && !got.is_disjoint(globex) {
                    failures
                        .push(format!("{who:?} {what}: Globex's {:?}", got.intersection(globex).collect::<Vec<_>>()));
                }
            }
        }
        // Another distributor's campaign has no lists at all.
        for sub in ["locations", "members"] {
            checks += 1;
            let r = app.get(&format!("{ORG}/campaigns/{}/{sub}?count=exact", w.globex_campaign), token).await;
            let ok = if root { r.status == 200 } else { r.status == 404 };
            if !ok {
                failures.push(format!("{who:?} Globex's {sub}: {} {}", r.status, short(&r.text)));
            }
        }

        // Expanded relations hold only what the caller may see.
        let expansions: Vec<(&str, &str)> = if who.is_staff() {
            vec![
                ("accounts", "{id,distributor{id,name},campaigns{id}}"),
                ("campaigns", "{id,distributor{id,name},locations{id},accounts{id}}"),
                ("distributors", "{id,accounts{id},campaigns{id}}"),
            ]
        } else {
            vec![
                ("accounts", "{id,distributor{id,name},campaigns{id}}"),
                ("campaigns", "{id,distributor{id,name},locations{id}}"),
            ]
        };
        for (what, mask) in expansions {
            checks += 1;
            let items =
                match list_all(&app, token, &format!("{ORG}/{what}?page_size=500&count=exact&fields={}", enc(mask)))
                    .await
                {
                    Ok(items) => items,
                    Err(e) => {
                        failures.push(format!("{who:?} {what} {mask}: {e}"));
                        continue;
                    }
                };
            for item in &items {
                let id = item["id"].as_i64().unwrap_or_default();
                let mut expect: Vec<(&str, BTreeSet<i64>)> = Vec::new();
                match what {
                    "accounts" => {
                        let member_of =
                            sql_ids(&pool, "SELECT campaign_id FROM campaign_members WHERE account_id = $1", id).await;
                        expect.push(("campaigns", member_of.intersection(&campaigns).copied().collect()));
                        let d = item["distributor"]["id"].as_i64();
                        if d.is_some_and(|d| !distributors.contains(&d)) {
                            failures.push(format!("{who:?} account {id} expands distributor {d:?}"));
                        }
                    }
                    "campaigns" => {
                        expect.push((
                            "locations",
                            sql_ids(&pool, "SELECT id FROM locations WHERE campaign_id = $1", id).await,
                        ));
                        if who.is_staff() {
                            expect.push((
                                "accounts",
                                sql_ids(&pool, "SELECT account_id FROM campaign_members WHERE campaign_id = $1", id)
                                    .await,
                            ));
                        }
                        if item["distributor"]["id"].as_i64().is_none_or(|d| !distributors.contains(&d)) {
                            failures.push(format!("{who:?} campaign {id} expands {}", item["distributor"]));
                        }
                    }
                    _ => {
                        expect.push((
                            "accounts",
                            sql_ids(&pool, "SELECT id FROM accounts WHERE distributor_id = $1", id).await,
                        ));
                        expect.push((
                            "campaigns",
                            sql_ids(&pool, "SELECT id FROM campaigns WHERE distributor_id = $1", id).await,
                        ));
                    }
                }
                for (relation, expected) in expect {
                    let got = nested_ids(item, relation);
                    if got != expected {
                        failures.push(format!("{who:?} {what} {id}.{relation}: got {got:?}, expected {expected:?}"));
                    }
                }
            }
            if !root {
                let text = serde_json::to_string(&items).unwrap_or_default().to_lowercase();
                if text.contains("globex") {
                    failures.push(format!("{who:?} {what} {mask} mentions Globex: {}", short(&text)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checks} list checks failed:\n{}", failures.len(), failures.join("\n"));
}

// ---- filters ----------------------------------------------------------------------------

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn filters_reach_neither_across_nor_into_staff_only_fields(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    seed(&app, &w).await;
    let tokens = tokens(&app).await;
    let globex_shopper = id_of(&pool, "globex_shopper").await;
    let acme_locations = format!("{ORG}/campaigns/{}/locations", w.acme_campaign);
    let mut failures = Vec::new();
    let mut checks = 0;

    // Filters that match only Globex: [] and a count of 0 for every Acme
    // user; a super admin finds something, so each filter does match.
    let only_globex: Vec<(String, String)> = vec![
        (format!("{ORG}/distributors"), r#"[{"field":"name","op":"==","value":"Globex"}]"#.into()),
        (format!("{ORG}/distributors"), format!(r#"[{{"field":"id","op":"==","value":{}}}]"#, w.globex)),
        (format!("{ORG}/accounts"), r#"[{"model":"Distributor","field":"name","op":"==","value":"Globex"}]"#.into()),
        (format!("{ORG}/accounts"), format!(r#"[{{"field":"id","op":"==","value":{globex_shopper}}}]"#)),
        (format!("{ORG}/accounts"), format!(r#"[{{"field":"distributor_id","op":"==","value":{}}}]"#, w.globex)),
        (format!("{ORG}/accounts"), r#"[{"field":"email","op":"ilike","value":"globex%"}]"#.into()),
        (format!("{ORG}/accounts"), r#"[{"field":"username","op":"ilike","value":"globex%"}]"#.into()),
        (format!("{ORG}/accounts"), r#"[{"model":"Campaign","field":"name","op":"==","value":"Globex Store"}]"#.into()),
        (format!("{ORG}/campaigns"), r#"[{"model":"Distributor","field":"name","op":"==","value":"Globex"}]"#.into()),
        (format!("{ORG}/campaigns"), format!(r#"[{{"field":"id","op":"==","value":{}}}]"#, w.globex_campaign)),
        (format!("{ORG}/campaigns"), r#"[{"field":"name","op":"ilike","value":"globex%"}]"#.into()),
        (
            format!("{ORG}/campaigns"),
            format!(r#"[{{"not":[{{"field":"distributor_id","op":"==","value":{}}}]}}]"#, w.acme),
        ),
    ];
    for (who, token) in ROLES.into_iter().zip(&tokens) {
        for (url, filter) in &only_globex {
            checks += 1;
            let r = app.get(&format!("{url}?count=exact&filter={}", enc(filter)), token).await;
            let count = r.header("x-total-count").unwrap_or("none");
            let ok = match who {
                Who::Root => r.status == 200 && count != "0" && !ids(&r).is_empty(),
                _ => r.status == 200 && r.body == json!([]) && count == "0",
            };
            if !ok {
                failures.push(format!("{who:?} {url} {filter}: {} count {count} {}", r.status, short(&r.text)));
            }
        }
        // Nor through a location's campaign, inside Acme's own campaign.
        checks += 1;
        let filter = r#"[{"model":"Campaign","field":"name","op":"==","value":"Globex Store"}]"#;
        let r = app.get(&format!("{acme_locations}?count=exact&filter={}", enc(filter)), token).await;
        if r.status != 200 || r.body != json!([]) || r.header("x-total-count") != Some("0") {
            failures.push(format!("{who:?} locations {filter}: {} {}", r.status, short(&r.text)));
        }

        // An `or` cannot widen the scope: it is ANDed with it as a whole.
        for (url, filter) in [
            (
                format!("{ORG}/accounts"),
                r#"[{"or":[{"field":"username","op":"==","value":"globex_manager"},{"field":"id","op":">","value":0}]}]"#,
            ),
            (
                format!("{ORG}/campaigns"),
                r#"[{"or":[{"field":"name","op":"==","value":"Globex Store"},{"field":"id","op":">","value":0}]}]"#,
            ),
        ] {
            checks += 1;
            let r = app.get(&format!("{url}?count=exact&page_size=500&filter={}", enc(filter)), token).await;
            let n = ids(&r).len().to_string();
            let globex = r.text.to_lowercase().contains("globex");
            if r.status != 200 || r.header("x-total-count") != Some(n.as_str()) || globex != (who == Who::Root) {
                failures.push(format!("{who:?} {url} {filter}: {} {}", r.status, short(&r.text)));
            }
        }

        // Private fields: an account filters on its own email; staff on
        // their distributor's; nobody matches another distributor's.
        let own_email = format!("{}@example.com", who.username());
        for (email, visible) in [
            (own_email.as_str(), true),
            ("acme_sales@example.com", who.is_staff()),
            ("globex_sales@example.com", who == Who::Root),
        ] {
            checks += 1;
            let filter = format!(r#"[{{"field":"email","op":"==","value":"{email}"}}]"#);
            let r =
                app.get(&format!("{ORG}/accounts?count=exact&fields=id,email&filter={}", enc(&filter)), token).await;
            let expected = if visible { json!([{"email": email}]) } else { json!([]) };
            let got: Value =
                r.body.as_array().map(|a| a.iter().map(|i| json!({"email": i["email"]})).collect()).unwrap_or_default();
            let count = if visible { "1" } else { "0" };
            if r.status != 200 || got != expected || r.header("x-total-count") != Some(count) {
                failures.push(format!("{who:?} accounts {filter}: {} {}", r.status, short(&r.text)));
            }
        }
        // Sorting on a private field stays within scope too.
        checks += 1;
        let r = app.get(&format!("{ORG}/accounts?count=exact&page_size=500&sort=-email"), token).await;
        if r.status != 200 || (who != Who::Root && r.text.to_lowercase().contains("globex")) {
            failures.push(format!("{who:?} accounts sorted by email: {} {}", r.status, short(&r.text)));
        }

        // Staff-only fields and relations, in filters, sorts and masks: 403
        // naming the field for buyers and shoppers, fine for staff.
        let staff_only: [(String, &str); 12] = [
            (format!("{ORG}/campaigns?filter={}", enc(r#"[{"field":"bfl_cost","op":">","value":"0"}]"#)), "bfl_cost"),
            (format!("{ORG}/campaigns?sort=bfl_cost"), "bfl_cost"),
            (format!("{ORG}/campaigns?fields=id,created_by"), "created_by"),
            (format!("{ORG}/campaigns/{}?fields=id,distributor_po", w.acme_campaign), "distributor_po"),
            (
                format!(
                    "{ORG}/campaigns?filter={}",
                    enc(r#"[{"model":"Account","field":"username","op":"==","value":"acme_shopper"}]"#)
                ),
                "accounts",
            ),
            (format!("{ORG}/campaigns?fields={}", enc("{id,accounts{email}}")), "accounts"),
            (
                format!(
                    "{ORG}/campaigns?filter={}",
                    enc(r#"[{"model":"Distributor","field":"ow_cost","op":">","value":"0"}]"#)
                ),
                "ow_cost",
            ),
            (format!("{ORG}/distributors?filter={}", enc(r#"[{"field":"ow_cost","op":">=","value":"0"}]"#)), "ow_cost"),
            (
                format!("{ORG}/distributors?filter={}", enc(r#"[{"field":"is_deleted","op":"==","value":true}]"#)),
                "is_deleted",
            ),
            (
                format!(
                    "{ORG}/accounts?filter={}",
                    enc(r#"[{"model":"Distributor","field":"max_sales_count","op":">","value":0}]"#)
                ),
                "max_sales_count",
            ),
            (
                format!(
                    "{acme_locations}?filter={}",
                    enc(r#"[{"model":"Campaign","field":"bfl_cost","op":">=","value":"0"}]"#)
                ),
                "bfl_cost",
            ),
            (format!("{ORG}/accounts?fields={}", enc("{id,distributor{accounts{email}}}")), "accounts"),
        ];
        for (url, field) in staff_only {
            checks += 1;
            let r = app.get(&url, token).await;
            let ok = if who.is_staff() {
                r.status == 200 && (who == Who::Root || !r.text.to_lowercase().contains("globex"))
            } else {
                r.status == 403 && r.body["detail"].as_str().is_some_and(|d| d.contains(field))
            };
            if !ok {
                failures.push(format!("{who:?} {url}: {} {}", r.status, short(&r.text)));
            }
        }
        // Staff's filters on staff-only fields still see only their own rows.
        if who.is_staff() {
            checks += 1;
            let filter = enc(r#"[{"field":"bfl_cost","op":">=","value":"0"}]"#);
            let r = app.get(&format!("{ORG}/campaigns?count=exact&page_size=500&filter={filter}"), token).await;
            let expected = if who == Who::Root {
                sql_ids(&pool, "SELECT id FROM campaigns WHERE $1::bigint IS NOT NULL", 0).await
            } else {
                sql_ids(&pool, "SELECT id FROM campaigns WHERE distributor_id = $1", w.acme).await
            };
            let got: BTreeSet<i64> = ids(&r).into_iter().collect();
            if got != expected || r.header("x-total-count") != Some(expected.len().to_string().as_str()) {
                failures.push(format!("{who:?} campaigns bfl_cost >= 0: {got:?} vs {expected:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checks} filter checks failed:\n{}", failures.len(), failures.join("\n"));
}
