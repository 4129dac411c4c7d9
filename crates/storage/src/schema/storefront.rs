//! Where the storefront's resources live, and who sees them: a campaign's
//! store is seen by its members (shoppers only while it is open) and by
//! staff of its distributor, who preview it.

use super::{Computed, Conditional, Join, Table, push_membership, push_price_guard, push_staff};
use domain::resource::{STOREFRONT_CAMPAIGN, STOREFRONT_ITEM, STOREFRONT_PRODUCT};
use domain::{Principal, Role};
use sqlx::{Postgres, QueryBuilder};

/// `status = 'active'` and today (UTC) between the start and end dates, as
/// `domain::campaign::is_open_on` says for one campaign.
fn push_open_today(a: &str, qb: &mut QueryBuilder<Postgres>) {
    qb.push(format_args!(
        "{a}.status = 'active' AND {a}.start_date <= (now() AT TIME ZONE 'UTC')::date \
         AND {a}.end_date >= (now() AT TIME ZONE 'UTC')::date"
    ));
}

/// A figure of the caller's own orders in campaign `a`, for shoppers; the
/// typed `null` for everyone else. `select` aggregates over `source` (the
/// orders, cancelled ones left out, or the allowance ledger), aliased `x`.
fn push_own(who: &Principal, a: &str, select: &str, source: &str, qb: &mut QueryBuilder<Postgres>, null: &str) {
    if who.role != Role::Shopper {
        qb.push(null);
        return;
    }
    qb.push(format_args!("(SELECT {select} FROM {source} WHERE x.campaign_id = {a}.id AND x.account_id = "))
        .push_bind(who.account_id);
    if source.starts_with("orders") {
        qb.push(" AND x.status <> 'cancelled'");
    }
    qb.push(")");
}

pub static STOREFRONT_CAMPAIGNS: Table = Table {
    resource: &STOREFRONT_CAMPAIGN,
    name: "campaigns",
    joins: &[("locations", Join::Children { fk: "campaign_id", along: None })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[
        Computed {
            field: "items_ordered",
            push: |who, a, qb| push_own(who, a, "coalesce(sum(x.items_count), 0)::int8", "orders x", qb, "NULL::int8"),
        },
        Computed {
            field: "amount_ordered",
            push: |who, a, qb| push_own(who, a, "coalesce(sum(x.subtotal), 0)", "orders x", qb, "NULL::numeric"),
        },
        Computed {
            field: "allowance_used",
            push: |who, a, qb| {
                push_own(who, a, "coalesce(sum(x.amount), 0)", "allowance_ledger x", qb, "NULL::numeric")
            },
        },
        Computed {
            field: "allowance_remaining",
            push: |who, a, qb| {
                // `greatest` skips nulls, so no allowance (null) must stay null by hand.
                let select = format!(
                    "CASE WHEN {a}.company_allowance IS NOT NULL \
                     THEN greatest({a}.company_allowance - coalesce(sum(x.amount), 0), 0) END"
                );
                push_own(who, a, &select, "allowance_ledger x", qb, "NULL::numeric");
            },
        },
    ],
    scope: |who, a, qb| {
        push_open_today(a, qb);
        qb.push(" AND (");
        if !push_staff(who, a, qb) {
            push_membership(who, &format!("{a}.id"), qb);
        }
        qb.push(")");
    },
};

/// Staff of the campaign's distributor, and the campaign's members
/// (shoppers while it is active), as for campaign items.
fn campaign_scope(who: &Principal, a: &str, qb: &mut QueryBuilder<Postgres>) {
    if !push_staff(who, a, qb) {
        push_membership(who, &format!("{a}.campaign_id"), qb);
    }
}

pub static STOREFRONT_PRODUCTS: Table = Table {
    resource: &STOREFRONT_PRODUCT,
    name: "storefront_products",
    joins: &[("items", Join::Children { fk: "product_id", along: Some("campaign_id") })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[
        Conditional { field: "price_from", guard: push_price_guard },
        Conditional { field: "price_to", guard: push_price_guard },
    ],
    computed: &[],
    scope: campaign_scope,
};

pub static STOREFRONT_ITEMS: Table = Table {
    resource: &STOREFRONT_ITEM,
    name: "storefront_items",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[Conditional { field: "price", guard: push_price_guard }],
    computed: &[],
    scope: campaign_scope,
};
