//! Catalog rules: how a campaign item's total, price and sku follow from its
//! parts (DESIGN §2), how a variant's sku is spelled, and the order sizes sort
//! in. Pure functions; `storage::derived` computes the same in SQL for whole
//! sets of rows, and a storage test holds the two to the same answers.

use crate::money::round_cents;
use rust_decimal::Decimal;

/// The most a margin may be, exclusive: a margin of 100% would divide by zero.
pub const MARGIN_LIMIT: Decimal = Decimal::ONE_HUNDRED;

/// What one campaign item costs the distributor: the vendor's cost, the
/// campaign's per-item cost, the platform's per-item cost and every
/// decoration.
pub fn total(vendor_cost: Decimal, bfl_cost: Decimal, ow_cost: Decimal, decoration_costs: &[Decimal]) -> Decimal {
    round_cents(vendor_cost + bfl_cost + ow_cost + decoration_costs.iter().copied().sum::<Decimal>())
}

/// The shopper's price: `total / (1 − margin/100)`, rounded half away from
/// zero to cents. `None` when the margin is outside `0 ≤ m < 100`.
pub fn price(total: Decimal, margin: Decimal) -> Option<Decimal> {
    if margin < Decimal::ZERO || margin >= MARGIN_LIMIT {
        return None;
    }
    let keep = (MARGIN_LIMIT - margin) / MARGIN_LIMIT;
    total.checked_div(keep).map(round_cents)
}

/// A variant's sku: the product's item number, then the names of its values
/// in the product type's attribute order, joined by `-`.
pub fn variant_sku<'a>(item_number: &str, value_names: impl IntoIterator<Item = &'a str>) -> String {
    let mut sku = item_number.to_owned();
    for name in value_names {
        sku.push('-');
        sku.push_str(name);
    }
    sku
}

/// A campaign item's sku: the variant's sku, then each decoration's location
/// in upper case, joined by `-`.
pub fn item_sku<'a>(variant_sku: &str, decoration_locations: impl IntoIterator<Item = &'a str>) -> String {
    let mut sku = variant_sku.to_owned();
    for location in decoration_locations {
        sku.push('-');
        sku.push_str(&location.to_uppercase());
    }
    sku
}

/// Garment sizes in the order shops list them (the seed's order).
pub const SIZES: &[&str] = &["XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "3XL", "4XL", "5XL", "6XL"];

/// A size's place in [`SIZES`]; unknown sizes sort after every known one.
pub fn size_rank(name: &str) -> usize {
    SIZES.iter().position(|s| s.eq_ignore_ascii_case(name)).unwrap_or(SIZES.len())
}

/// The vendor roles a vendor may have; it needs at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VendorRoles {
    pub supplier: bool,
    pub decorator: bool,
    pub pick_pack: bool,
}

impl VendorRoles {
    pub fn any(self) -> bool {
        self.supplier || self.decorator || self.pick_pack
    }
}

/// A vendor's write model: every field a client sets, as it will be stored
/// (a create fills the defaults, a patch is applied to the current fields).
/// Validators check it whole and storage writes it whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorFields {
    pub name: String,
    /// Empty when the vendor has no email yet.
    pub email: String,
    pub address: String,
    pub is_supplier: bool,
    pub is_decorator: bool,
    pub is_pick_pack: bool,
    pub is_active: bool,
}

impl VendorFields {
    pub fn roles(&self) -> VendorRoles {
        VendorRoles { supplier: self.is_supplier, decorator: self.is_decorator, pick_pack: self.is_pick_pack }
    }
}

/// A logo printed at a location by a decorator vendor: what a client sets.
/// The stored JSON also carries the decorator's name, email and address,
/// copied by `storage::derived`; reading ignores them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decoration {
    pub location: String,
    #[serde(default)]
    pub logo_description: String,
    /// Stored as a decimal string with two places (`"1.20"`), which is what
    /// `derived` sums with `::numeric` and what clients read back.
    pub cost: Decimal,
    pub decorator_id: i64,
}

/// A campaign item's write model: its inputs. Its derived columns (copies
/// of catalog data, sku, total, price) are computed by `storage::derived`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignItemFields {
    pub product_variant_id: i64,
    pub vendor_cost: Decimal,
    /// `None`: the distributor's `ow_cost` applies.
    pub ow_cost: Option<Decimal>,
    /// Percent, `0 ≤ margin < 100`.
    pub margin: Decimal,
    pub bin_id: Option<String>,
    pub decorations: Vec<Decoration>,
}

/// A product type's write model: its name, its attributes in sku order and
/// the vendors it lists (a set, kept in id order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTypeFields {
    pub name: String,
    /// In sku order.
    pub attribute_ids: Vec<i64>,
    /// In id order.
    pub vendor_ids: Vec<i64>,
}

/// A variant's write model: what every variant of a product sets besides its
/// combination of attribute values (which is its identity within the
/// product, so a bulk insert shares these fields across combinations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFields {
    pub supplier_id: i64,
    pub description: String,
    pub vendor_cost: Decimal,
}

/// A product's write model: its own fields and its images, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductFields {
    pub name: String,
    pub item_number: String,
    pub description: String,
    pub product_type_id: i64,
    /// Uploaded-file ids, in display order.
    pub image_ids: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn total_adds_every_cost() {
        assert_eq!(total(d("4.10"), d("0.50"), d("0.25"), &[d("1.20"), d("0.80")]), d("6.85"));
        assert_eq!(total(d("4.10"), d("0"), d("0"), &[]), d("4.10"));
    }

    #[test]
    fn price_divides_by_what_the_margin_leaves() {
        // 10 / 0.7 = 14.2857… → 14.29
        assert_eq!(price(d("10.00"), d("30")), Some(d("14.29")));
        // 6.85 / 0.65 = 10.538… → 10.54
        assert_eq!(price(d("6.85"), d("35")), Some(d("10.54")));
        assert_eq!(price(d("6.85"), d("0")), Some(d("6.85")));
        // 0.01 / 0.5 = 0.02 exactly; 0.03 / 0.6 = 0.05 exactly.
        assert_eq!(price(d("0.01"), d("50")), Some(d("0.02")));
        assert_eq!(price(d("0.03"), d("40")), Some(d("0.05")));
    }

    #[test]
    fn price_rounds_half_away_from_zero() {
        // 1.00 / 0.8 = 1.25 exactly; 0.01 / 0.8 = 0.0125 → 0.01; 0.05 / 0.8 = 0.0625 → 0.06
        assert_eq!(price(d("1.00"), d("20")), Some(d("1.25")));
        assert_eq!(price(d("0.01"), d("20")), Some(d("0.01")));
        assert_eq!(price(d("0.05"), d("20")), Some(d("0.06")));
        // 0.09 / 0.8 = 0.1125 → 0.11; 0.1 / 0.8 = 0.125 → 0.13 (half away from zero)
        assert_eq!(price(d("0.10"), d("20")), Some(d("0.13")));
    }

    #[test]
    fn margins_outside_zero_to_a_hundred_have_no_price() {
        assert_eq!(price(d("1"), d("100")), None);
        assert_eq!(price(d("1"), d("-1")), None);
        assert!(price(d("1"), d("99.99")).is_some());
    }

    #[test]
    fn skus_join_with_dashes() {
        assert_eq!(variant_sku("TS-100", ["Red", "XL"]), "TS-100-Red-XL");
        assert_eq!(variant_sku("MUG", []), "MUG");
        assert_eq!(item_sku("TS-100-Red-XL", ["front", "Left sleeve"]), "TS-100-Red-XL-FRONT-LEFT SLEEVE");
    }

    #[test]
    fn sizes_sort_in_shop_order() {
        let mut sizes = vec!["XL", "S", "6XL", "XXS", "2XL", "M", "Huge"];
        sizes.sort_by_key(|s| size_rank(s));
        assert_eq!(sizes, ["XXS", "S", "M", "XL", "2XL", "6XL", "Huge"]);
    }
}
