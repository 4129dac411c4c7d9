//! The row type of each loaded table: it knows its table and columns and
//! encodes itself, so callers build plain values and never spell a column.

use super::encode::{CopyValue, Encoder, Json};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A row of a loaded table.
pub trait CopyRow {
    /// The table.
    const TABLE: &'static str;
    /// The columns this row type fills, in encoding order.
    const COLUMNS: &'static [&'static str];
    /// Appends the row to `e`.
    fn encode(&self, e: &mut Encoder);
}

/// Declares the row type of each loaded table: its fields are the columns it
/// fills, in the order COPY receives them. Columns left out take their
/// defaults (`version` where a row is new, and the timestamps of link tables).
macro_rules! tables {
    ($( $(#[$doc:meta])* $name:ident => $table:literal { $($field:ident : $ty:ty),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, serde::Serialize)]
            pub struct $name { $(pub $field: $ty),* }

            impl CopyRow for $name {
                const TABLE: &'static str = $table;
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
                fn encode(&self, e: &mut Encoder) {
                    $( self.$field.put(e); )*
                    e.end_row();
                }
            }
        )*

        /// Every loaded table with the columns its row type fills, parents
        /// before children (the order a load with live foreign keys needs).
        pub const TABLES: &[(&str, &[&str])] = &[$(($table, $name::COLUMNS)),*];
    };
}

tables! {
    /// `distributors`.
    Distributor => "distributors" {
        id: i64, name: String, email: String, address: String, ow_cost: Decimal, campaign_cost: Decimal,
        transaction_cost: Decimal, max_sales_count: i32, is_deleted: bool,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `accounts`. `role` is the role's wire name.
    Account => "accounts" {
        id: i64, username: String, email: String, first_name: String, last_name: String, password_hash: String,
        role: String, distributor_id: Option<i64>, active: bool, reports_enabled: bool,
        last_login_at: Option<DateTime<Utc>>, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `vendors`.
    Vendor => "vendors" {
        id: i64, distributor_id: i64, name: String, email: String, address: String, is_supplier: bool,
        is_decorator: bool, is_pick_pack: bool, is_active: bool, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `campaigns`. `status` is the status's wire name; `checkout_fields` the JSON list.
    Campaign => "campaigns" {
        id: i64, distributor_id: i64, name: String, company_name: String, status: String,
        start_date: Option<NaiveDate>, end_date: Option<NaiveDate>, storefront_pricing: bool,
        company_allowance: Option<Decimal>, personal_pay: bool, items_count_limit: Option<i32>, price_limit: Option<Decimal>,
        email_shopper: bool, checkout_fields: serde_json::Value, departments: Vec<String>, message: String,
        bfl_cost: Decimal, distributor_po: Option<String>, pick_pack_partner_id: Option<i64>,
        pick_pack_partner_message: String, created_by: Option<i64>, created_at: DateTime<Utc>,
        modified_at: DateTime<Utc>,
    }
    /// `campaign_members`.
    CampaignMember => "campaign_members" {
        campaign_id: i64, account_id: i64, distributor_id: i64, created_at: DateTime<Utc>,
    }
    /// `locations`.
    Location => "locations" {
        id: i64, campaign_id: i64, distributor_id: i64, nickname: String, company_name: String,
        street_and_number: String, suite_unit: String, city: String, zip_code: String, region: String,
        country: String, delivery_contact: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `attributes`.
    Attribute => "attributes" {
        id: i64, distributor_id: i64, name: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `attribute_values`; positions dense from 0 per attribute.
    AttributeValue => "attribute_values" {
        id: i64, attribute_id: i64, distributor_id: i64, name: String, position: i32,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_types`.
    ProductType => "product_types" {
        id: i64, distributor_id: i64, name: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_type_attributes`: a type's attributes in order.
    ProductTypeAttribute => "product_type_attributes" {
        product_type_id: i64, attribute_id: i64, distributor_id: i64, position: i32,
    }
    /// `product_type_vendors`.
    ProductTypeVendor => "product_type_vendors" {
        product_type_id: i64, vendor_id: i64, distributor_id: i64,
    }
    /// `products`.
    Product => "products" {
        id: i64, distributor_id: i64, product_type_id: i64, name: String, item_number: String, description: String,
        is_deleted: bool, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_variants`: `value_ids` sorted; `sku` derived (or empty, for
    /// `derived::refresh` to fill).
    Variant => "product_variants" {
        id: i64, distributor_id: i64, product_id: i64, supplier_id: i64, description: String, vendor_cost: Decimal,
        value_ids: Vec<i64>, sku: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_variant_values`: one per attribute of the variant's type.
    VariantValue => "product_variant_values" {
        variant_id: i64, attribute_id: i64, attribute_value_id: i64, distributor_id: i64, position: i32,
    }
    /// `campaign_items`: the inputs, and the derived columns as
    /// `derived::refresh` would compute them (or blank, for it to fill).
    CampaignItem => "campaign_items" {
        id: i64, campaign_id: i64, distributor_id: i64, product_variant_id: i64, vendor_cost: Decimal,
        ow_cost: Option<Decimal>, margin: Decimal, decorations: serde_json::Value, bin_id: Option<String>,
        sku: String, product_id: i64, product_name: String, product_type_name: String, item_number: String,
        description: String, attributes: serde_json::Value, supplier_id: i64, supplier_name: String,
        supplier_email: String, supplier_address: String, bfl_cost: Decimal, applied_ow_cost: Decimal,
        decoration_cost: Decimal, total: Decimal, price: Decimal, frozen_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `orders`: `status` is the status's wire name; `version` is one more
    /// than the changes the order went through (each status change bumps it,
    /// as the API's writes do through the table's trigger).
    Order => "orders" {
        id: i64, number: String, distributor_id: i64, account_id: i64, campaign_id: i64, status: &'static str,
        checkout_fields: Json, location: Option<Json>, department: Option<String>,
        items_count: i32, subtotal: Decimal, allowance_applied: Decimal, payroll_deduction: Decimal,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>, version: i32,
    }
    /// `order_items`: `line_total` is `round(unit_price * quantity, 2)` (the table checks it).
    OrderItem => "order_items" {
        id: i64, order_id: i64, distributor_id: i64, campaign_item_id: i64, sku: String, product_name: String,
        quantity: i32, unit_price: Decimal, line_total: Decimal, created_at: DateTime<Utc>,
        modified_at: DateTime<Utc>,
    }
    /// `allowance_ledger`: `kind` is `checkout`, `cancellation` or `edit`;
    /// `balance` is NULL when the campaign has no allowance.
    LedgerEntry => "allowance_ledger" {
        id: i64, account_id: i64, campaign_id: i64, distributor_id: i64, order_id: i64, kind: &'static str,
        amount: Decimal, balance: Option<Decimal>, created_at: DateTime<Utc>,
    }
    /// `order_events`: an order's history, append-only (its trigger refuses
    /// UPDATE and DELETE, never an INSERT).
    OrderEvent => "order_events" {
        id: i64, order_id: i64, distributor_id: i64, kind: &'static str, message: String, actor_id: Option<i64>,
        data: Json, created_at: DateTime<Utc>,
    }
    /// `order_notes`: `version` 2 for a note edited once (its replaced text is
    /// an [`OrderNoteVersion`], which the table's trigger writes only on UPDATE).
    OrderNote => "order_notes" {
        id: i64, order_id: i64, distributor_id: i64, author_id: i64, edited_by: i64, body: String, is_deleted: bool,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>, version: i32,
    }
    /// `order_note_versions`: a text an edit replaced, with who wrote it and when.
    OrderNoteVersion => "order_note_versions" {
        id: i64, note_id: i64, distributor_id: i64, version: i32, body: String, written_by: i64,
        written_at: DateTime<Utc>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_names_its_columns() {
        assert_eq!(TABLES.len(), 21);
        assert_eq!(Account::COLUMNS[0], "id");
        assert!(TABLES.iter().all(|(_, columns)| !columns.is_empty()));
    }
}
