//! The demo catalog of each demo distributor, as plain data: vendors of
//! every role, the attributes Color and Size, the product types Wearables
//! (Color, Size), Mugs (Color), Posters (no attribute: one variant) and
//! Pencils (Color), products with every variant, and the campaign items of
//! the demo campaigns with their decorations.
//!
//! Names are natural keys (vendors, attributes, values and types by name,
//! products by item number, variants by their values, items by campaign and
//! variant), so [`crate::apply`] creates only what is missing.

use domain::catalog::{SIZES, VendorRoles, size_rank};
use rust_decimal::Decimal;

/// The attribute names, as the product types list them.
pub const COLOR: &str = "Color";
pub const SIZE: &str = "Size";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorPlan {
    pub name: &'static str,
    pub email: &'static str,
    pub address: &'static str,
    pub roles: VendorRoles,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePlan {
    pub name: &'static str,
    /// Attribute names, in the type's order (the order of a sku's parts).
    pub attributes: &'static [&'static str],
    /// The suppliers that sell this type.
    pub vendors: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPlan {
    pub item_number: &'static str,
    pub name: &'static str,
    pub type_name: &'static str,
    pub description: &'static str,
    pub supplier: &'static str,
    /// The vendor's cost of the base size; larger sizes add [`size_upcharge`].
    pub cost: Decimal,
    /// Values of the type's Color attribute this product comes in (ignored
    /// when the type has no Color), likewise Size.
    pub colors: Vec<&'static str>,
    pub sizes: Vec<&'static str>,
}

/// One value per attribute of the type, in the type's attribute order.
pub type Combination = Vec<(&'static str, &'static str)>;

impl ProductPlan {
    /// Every variant: one per combination of the product's values of its
    /// type's attributes (a type without attributes has exactly one), with
    /// its vendor cost.
    pub fn variants(&self, attributes: &[&'static str]) -> Vec<(Combination, Decimal)> {
        let mut combos: Vec<(Combination, Decimal)> = vec![(Vec::new(), self.cost)];
        for attribute in attributes {
            let values: &[&'static str] = if *attribute == SIZE { &self.sizes } else { &self.colors };
            combos = combos
                .into_iter()
                .flat_map(|(combo, cost)| {
                    values.iter().map(move |v| {
                        let mut next = combo.clone();
                        next.push((*attribute, *v));
                        let cost = if *attribute == SIZE { cost + size_upcharge(v) } else { cost };
                        (next, cost)
                    })
                })
                .collect();
        }
        combos
    }

    /// The sku of the variant with `combo` (`domain::catalog::variant_sku`).
    pub fn sku(&self, combo: &Combination) -> String {
        domain::catalog::variant_sku(self.item_number, combo.iter().map(|(_, v)| *v))
    }
}

/// What suppliers charge on top for the sizes past XL: 2.00 for XXL and
/// 2XL, then one more for each X.
pub fn size_upcharge(size: &str) -> Decimal {
    let xl = size_rank("XL");
    let rank = size_rank(size);
    if rank <= xl || rank >= SIZES.len() {
        Decimal::ZERO
    } else {
        // XXL and 2XL are the same size under two names.
        let steps = if size.eq_ignore_ascii_case("XXL") { 1 } else { rank - xl - 1 };
        Decimal::from(u32::try_from(steps).unwrap_or(0) + 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecorationPlan {
    pub location: &'static str,
    pub logo_description: &'static str,
    pub cost: Decimal,
    pub decorator: &'static str,
}

/// Campaign items: one per variant of a product (optionally only some colours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPlan {
    pub campaign: &'static str,
    pub item_number: &'static str,
    /// Only the variants in these colours; empty: every variant.
    pub colors: Vec<&'static str>,
    pub margin: Decimal,
    /// Overrides the distributor's per-item cost.
    pub ow_cost: Option<Decimal>,
    pub decorations: Vec<DecorationPlan>,
    pub bin_id: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPlan {
    pub vendors: Vec<VendorPlan>,
    /// The Color attribute's values, in order.
    pub colors: Vec<&'static str>,
    /// The Size attribute's values, in order.
    pub sizes: Vec<&'static str>,
    pub types: Vec<TypePlan>,
    pub products: Vec<ProductPlan>,
    pub items: Vec<ItemPlan>,
    /// The pick/pack partner of the distributor's new campaigns.
    pub pick_pack: &'static str,
}

impl CatalogPlan {
    pub fn type_named(&self, name: &str) -> Option<&TypePlan> {
        self.types.iter().find(|t| t.name == name)
    }

    pub fn product(&self, item_number: &str) -> Option<&ProductPlan> {
        self.products.iter().find(|p| p.item_number == item_number)
    }

    /// The skus of an item plan's variants.
    pub fn item_skus(&self, item: &ItemPlan) -> Vec<String> {
        let Some(product) = self.product(item.item_number) else { return Vec::new() };
        let Some(ty) = self.type_named(product.type_name) else { return Vec::new() };
        product
            .variants(ty.attributes)
            .into_iter()
            .filter(|(combo, _)| {
                item.colors.is_empty() || combo.iter().any(|(a, v)| *a == COLOR && item.colors.contains(v))
            })
            .map(|(combo, _)| product.sku(&combo))
            .collect()
    }

    /// Every rule the API would enforce: known names everywhere, each
    /// vendor used in the role it has, colours and sizes among the
    /// attribute's values, margins below 100, unique names.
    pub fn problems(&self, campaigns: &[&str]) -> Vec<String> {
        let mut problems = Vec::new();
        let vendor = |name: &str| self.vendors.iter().find(|v| v.name == name);
        let mut names: Vec<String> = Vec::new();
        for v in &self.vendors {
            let issues = [
                validators::account::text_issue("name", v.name, 200),
                validators::account::email_issue("email", v.email),
                validators::account::text_issue("address", v.address, 1000),
            ];
            problems.extend(issues.into_iter().flatten().map(|i| format!("vendor {}: {i:?}", v.name)));
            if v.name.trim().is_empty() || !v.roles.any() {
                problems.push(format!("vendor {}: needs a name and a role", v.name));
            }
            if names.contains(&v.name.to_lowercase()) {
                problems.push(format!("vendor {} is listed twice", v.name));
            }
            names.push(v.name.to_lowercase());
        }
        if !vendor(self.pick_pack).is_some_and(|v| v.roles.pick_pack && v.active) {
            problems.push(format!("{} is not an active pick/pack vendor", self.pick_pack));
        }
        for t in &self.types {
            for s in &t.vendors {
                if !vendor(s).is_some_and(|v| v.roles.supplier && v.active) {
                    problems.push(format!("type {}: {s} is not an active supplier", t.name));
                }
            }
        }
        let mut item_numbers: Vec<String> = Vec::new();
        for p in &self.products {
            let Some(ty) = self.type_named(p.type_name) else {
                problems.push(format!("product {}: no type {}", p.item_number, p.type_name));
                continue;
            };
            if !ty.vendors.contains(&p.supplier) {
                problems.push(format!("product {}: {} does not sell {}", p.item_number, p.supplier, ty.name));
            }
            for c in &p.colors {
                if !self.colors.contains(c) {
                    problems.push(format!("product {}: no colour {c}", p.item_number));
                }
            }
            for s in &p.sizes {
                if !self.sizes.contains(s) {
                    problems.push(format!("product {}: no size {s}", p.item_number));
                }
            }
            if ty.attributes.contains(&COLOR) == p.colors.is_empty()
                || ty.attributes.contains(&SIZE) == p.sizes.is_empty()
            {
                problems.push(format!("product {}: values do not match the attributes of {}", p.item_number, ty.name));
            }
            if item_numbers.contains(&p.item_number.to_lowercase()) {
                problems.push(format!("item number {} is used twice", p.item_number));
            }
            item_numbers.push(p.item_number.to_lowercase());
        }
        let mut keys: Vec<(&str, String)> = Vec::new();
        for item in &self.items {
            if !campaigns.contains(&item.campaign) {
                problems.push(format!("item of {}: no such campaign", item.campaign));
            }
            let skus = self.item_skus(item);
            if skus.is_empty() {
                problems.push(format!("item {} in {}: no variant", item.item_number, item.campaign));
            }
            for sku in skus {
                if keys.contains(&(item.campaign, sku.clone())) {
                    problems.push(format!("{sku} is in {} twice", item.campaign));
                }
                keys.push((item.campaign, sku));
            }
            if item.margin < Decimal::ZERO || item.margin >= domain::catalog::MARGIN_LIMIT {
                problems.push(format!("item {} in {}: margin {}", item.item_number, item.campaign, item.margin));
            }
            for d in &item.decorations {
                if !vendor(d.decorator).is_some_and(|v| v.roles.decorator && v.active) {
                    problems.push(format!("decoration by {}: not an active decorator", d.decorator));
                }
            }
        }
        problems
    }
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

const SUPPLIER: VendorRoles = VendorRoles { supplier: true, decorator: false, pick_pack: false };
const DECORATOR: VendorRoles = VendorRoles { supplier: false, decorator: true, pick_pack: false };
const SUPPLIER_DECORATOR: VendorRoles = VendorRoles { supplier: true, decorator: true, pick_pack: false };
const PICK_PACK: VendorRoles = VendorRoles { supplier: false, decorator: false, pick_pack: true };

fn vendor(name: &'static str, email: &'static str, address: &'static str, roles: VendorRoles) -> VendorPlan {
    VendorPlan { name, email, address, roles, active: true }
}

fn types(apparel: &'static str, drinkware: &'static str, paper: &'static str) -> Vec<TypePlan> {
    vec![
        TypePlan { name: "Wearables", attributes: &[COLOR, SIZE], vendors: vec![apparel] },
        TypePlan { name: "Mugs", attributes: &[COLOR], vendors: vec![drinkware] },
        TypePlan { name: "Posters", attributes: &[], vendors: vec![paper] },
        TypePlan { name: "Pencils", attributes: &[COLOR], vendors: vec![paper] },
    ]
}

#[allow(clippy::too_many_arguments, reason = "a table row of plain values")]
fn product(
    item_number: &'static str,
    name: &'static str,
    type_name: &'static str,
    description: &'static str,
    supplier: &'static str,
    cost: Decimal,
    colors: &[&'static str],
    sizes: &[&'static str],
) -> ProductPlan {
    ProductPlan {
        item_number,
        name,
        type_name,
        description,
        supplier,
        cost,
        colors: colors.to_vec(),
        sizes: sizes.to_vec(),
    }
}

fn deco(location: &'static str, logo_description: &'static str, cents: i64, decorator: &'static str) -> DecorationPlan {
    DecorationPlan { location, logo_description, cost: money(cents), decorator }
}

fn item(
    campaign: &'static str,
    item_number: &'static str,
    colors: &[&'static str],
    margin: i64,
    decorations: Vec<DecorationPlan>,
) -> ItemPlan {
    ItemPlan {
        campaign,
        item_number,
        colors: colors.to_vec(),
        margin: Decimal::from(margin),
        ow_cost: None,
        decorations,
        bin_id: None,
    }
}

/// Acme Promo's catalog; its campaigns are Initech's.
pub fn acme() -> CatalogPlan {
    let (apparel, drinkware, paper) = ("Pacific Apparel Supply", "Summit Drinkware", "Paperworks Print & Stationery");
    let (screen, embroidery) = ("Inkwell Screen Printing", "Stitchline Embroidery");
    let [draft, active, closed, complete] =
        ["Initech Holiday Gifts", "Initech Welcome Kits", "Initech Summer Picnic", "Initech Sales Kickoff"];
    let logo = "1-colour Initech logo";
    CatalogPlan {
        vendors: vec![
            vendor(apparel, "orders@pacific-apparel.example", "2200 Harbor Way, Oakland, CA 94607", SUPPLIER),
            vendor(drinkware, "sales@summit-drinkware.example", "88 Kiln Rd, Columbus, OH 43215", SUPPLIER),
            vendor(paper, "hello@paperworks.example", "17 Mill St, Dayton, OH 45402", SUPPLIER_DECORATOR),
            vendor(screen, "jobs@inkwell-print.example", "410 Press Ave, Austin, TX 78702", DECORATOR),
            vendor(embroidery, "orders@stitchline.example", "9 Needle Ln, Charlotte, NC 28202", DECORATOR),
            vendor(
                "Lakeside Fulfillment",
                "ops@lakeside-fulfillment.example",
                "5500 Dock Rd, Memphis, TN 38118",
                PICK_PACK,
            ),
            VendorPlan {
                active: false,
                ..vendor("Old Mill Apparel", "info@oldmill.example", "3 Loom St, Lowell, MA 01852", SUPPLIER)
            },
        ],
        colors: vec!["Black", "White", "Navy", "Heather Grey", "Red", "Royal Blue", "Forest Green", "Maroon"],
        sizes: SIZES.to_vec(),
        types: types(apparel, drinkware, paper),
        products: vec![
            product(
                "TS-100",
                "Classic Cotton Tee",
                "Wearables",
                "Ring-spun cotton, 180 g/m², taped neck.",
                apparel,
                money(410),
                &["Black", "White", "Navy", "Heather Grey"],
                &["S", "M", "L", "XL", "2XL", "3XL"],
            ),
            product(
                "HD-200",
                "Pullover Hoodie",
                "Wearables",
                "Brushed fleece, kangaroo pocket, lined hood.",
                apparel,
                money(1450),
                &["Black", "Navy", "Heather Grey"],
                &["S", "M", "L", "XL", "2XL"],
            ),
            product(
                "PL-300",
                "Performance Polo",
                "Wearables",
                "Moisture-wicking piqué with a three-button placket.",
                apparel,
                money(980),
                &["White", "Navy", "Royal Blue"],
                &["XS", "S", "M", "L", "XL", "XXL"],
            ),
            product(
                "MG-11",
                "Ceramic Mug 11 oz",
                "Mugs",
                "Glazed stoneware, dishwasher safe.",
                drinkware,
                money(235),
                &["White", "Black", "Red"],
                &[],
            ),
            product(
                "TM-20",
                "Stainless Travel Tumbler 20 oz",
                "Mugs",
                "Double-walled, vacuum insulated, slide lid.",
                drinkware,
                money(690),
                &["Black", "Navy", "Forest Green"],
                &[],
            ),
            product(
                "PS-1824",
                "Event Poster 18x24",
                "Posters",
                "Satin 200 g/m² paper, shipped rolled.",
                paper,
                money(325),
                &[],
                &[],
            ),
            product(
                "PC-02",
                "Hex Pencil #2",
                "Pencils",
                "Cedar pencil with a latex-free eraser.",
                paper,
                money(18),
                &["Red", "Navy", "Forest Green"],
                &[],
            ),
        ],
        items: vec![
            item(draft, "MG-11", &[], 35, vec![deco("Wrap", "Full-colour Initech holiday artwork", 110, screen)]),
            item(draft, "TM-20", &["Black"], 35, vec![deco("Front", "Laser-engraved Initech logo", 240, screen)]),
            item(active, "TS-100", &["Black", "Navy"], 40, vec![deco("Front", logo, 120, screen)]),
            item(
                active,
                "HD-200",
                &["Heather Grey"],
                38,
                vec![deco("Left chest", "Embroidered Initech logo", 350, embroidery)],
            ),
            item(active, "MG-11", &["White"], 35, vec![deco("Wrap", logo, 110, screen)]),
            ItemPlan {
                ow_cost: Some(money(0)),
                ..item(active, "PC-02", &[], 50, vec![deco("Barrel", "Initech wordmark", 5, paper)])
            },
            ItemPlan {
                bin_id: Some("B-01"),
                ..item(
                    closed,
                    "TS-100",
                    &["White"],
                    40,
                    vec![deco("Front", logo, 120, screen), deco("Back", "Summer Picnic 2026 artwork", 140, screen)],
                )
            },
            ItemPlan {
                bin_id: Some("B-02"),
                ..item(closed, "PS-1824", &[], 30, vec![deco("Front", "Picnic schedule and map", 90, paper)])
            },
            item(
                complete,
                "PL-300",
                &["Navy"],
                42,
                vec![deco("Left chest", "Embroidered Initech logo", 325, embroidery)],
            ),
            item(
                complete,
                "TM-20",
                &["Black", "Navy"],
                35,
                vec![deco("Front", "Laser-engraved Initech logo", 240, screen)],
            ),
        ],
        pick_pack: "Lakeside Fulfillment",
    }
}

/// Globex Merch's catalog; its campaigns are Vandelay's.
pub fn globex() -> CatalogPlan {
    let (apparel, drinkware, paper) = ("Cascade Garment Co.", "Blue Ridge Ceramics", "Quill & Graphite");
    let (screen, embroidery) = ("Brightmark Imprints", "Threadcraft Embroidery");
    let [draft, active, closed, complete] =
        ["Vandelay Trade Show Kit", "Vandelay Team Apparel", "Vandelay Safety Week", "Vandelay Anniversary Gifts"];
    let logo = "2-colour Vandelay Industries logo";
    CatalogPlan {
        vendors: vec![
            vendor(apparel, "orders@cascade-garment.example", "1200 NW Marshall St, Portland, OR 97209", SUPPLIER),
            vendor(drinkware, "sales@blueridge-ceramics.example", "41 Potter Rd, Asheville, NC 28801", SUPPLIER),
            vendor(paper, "orders@quillgraphite.example", "600 Press St, Richmond, VA 23219", SUPPLIER_DECORATOR),
            vendor(screen, "art@brightmark.example", "77 Ink Blvd, Newark, NJ 07102", DECORATOR),
            vendor(embroidery, "hello@threadcraft.example", "15 Bobbin Way, Paterson, NJ 07501", DECORATOR),
            vendor("Harborview Logistics", "ops@harborview.example", "1 Terminal Ave, Elizabeth, NJ 07201", PICK_PACK),
        ],
        colors: vec!["Black", "White", "Charcoal", "Navy", "Sky Blue", "Kelly Green", "Safety Orange", "Gold"],
        sizes: SIZES.to_vec(),
        types: types(apparel, drinkware, paper),
        products: vec![
            product(
                "VT-10",
                "Tri-Blend Crew Tee",
                "Wearables",
                "Polyester, cotton and rayon blend; soft drape.",
                apparel,
                money(560),
                &["Charcoal", "Navy", "Kelly Green"],
                &["XS", "S", "M", "L", "XL", "2XL"],
            ),
            product(
                "SV-40",
                "Hi-Vis Safety Vest",
                "Wearables",
                "ANSI class 2, reflective tape, zip front.",
                apparel,
                money(780),
                &["Safety Orange"],
                &["M", "L", "XL", "2XL", "3XL", "4XL"],
            ),
            product(
                "SJ-70",
                "Softshell Jacket",
                "Wearables",
                "Water-resistant softshell with a fleece lining.",
                apparel,
                money(2890),
                &["Black", "Navy"],
                &["S", "M", "L", "XL", "XXL"],
            ),
            product(
                "CM-15",
                "Diner Mug 15 oz",
                "Mugs",
                "Heavy stoneware with a C-handle.",
                drinkware,
                money(310),
                &["White", "Sky Blue"],
                &[],
            ),
            product(
                "PS-A2",
                "Safety Poster A2",
                "Posters",
                "Laminated, for break rooms and loading docks.",
                paper,
                money(410),
                &[],
                &[],
            ),
            product(
                "PC-HB",
                "Carpenter Pencil HB",
                "Pencils",
                "Flat graphite pencil that does not roll away.",
                paper,
                money(22),
                &["Gold", "Black"],
                &[],
            ),
        ],
        items: vec![
            item(draft, "CM-15", &[], 35, vec![deco("Front", logo, 95, screen)]),
            item(draft, "PC-HB", &[], 45, vec![deco("Barrel", "Vandelay Industries wordmark", 6, paper)]),
            item(
                active,
                "VT-10",
                &["Charcoal", "Navy"],
                40,
                vec![deco("Front", logo, 130, screen), deco("Left sleeve", "Flag", 60, screen)],
            ),
            ItemPlan {
                ow_cost: Some(money(350)),
                ..item(active, "SJ-70", &[], 30, vec![deco("Left chest", "Embroidered logo", 375, embroidery)])
            },
            item(active, "CM-15", &["White"], 35, vec![deco("Front", logo, 95, screen)]),
            ItemPlan {
                bin_id: Some("SAFE-1"),
                ..item(closed, "SV-40", &[], 25, vec![deco("Back", "VANDELAY SAFETY TEAM", 180, screen)])
            },
            ItemPlan { bin_id: Some("SAFE-2"), ..item(closed, "PS-A2", &[], 30, Vec::new()) },
            item(complete, "SJ-70", &["Black"], 32, vec![deco("Left chest", "25 years embroidery", 420, embroidery)]),
            item(complete, "CM-15", &["Sky Blue"], 35, vec![deco("Front", "25th anniversary seal", 95, screen)]),
        ],
        pick_pack: "Harborview Logistics",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_sizes_cost_more() {
        let costs: Vec<String> =
            ["S", "XL", "XXL", "2XL", "3XL", "6XL", "Huge"].iter().map(|s| size_upcharge(s).to_string()).collect();
        assert_eq!(costs, ["0", "0", "2", "2", "3", "6", "0"]);
    }

    #[test]
    fn variants_follow_the_type_attribute_order() {
        let plan = acme();
        let tee = plan.product("TS-100").unwrap_or_else(|| unreachable!());
        let variants = tee.variants(&[COLOR, SIZE]);
        assert_eq!(variants.len(), 4 * 6);
        assert_eq!(tee.sku(&variants[0].0), "TS-100-Black-S");
        assert_eq!(variants[5].1, money(410) + Decimal::from(3));
        let poster = plan.product("PS-1824").unwrap_or_else(|| unreachable!());
        assert_eq!(poster.variants(&[]).len(), 1);
        assert_eq!(poster.sku(&Vec::new()), "PS-1824");
    }
}
