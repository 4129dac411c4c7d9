//! Writes a distributor's [`CatalogPlan`], creating only what is missing, and
//! the items of its campaigns.
//!
//! Natural keys: vendors, attributes and product types by name; attribute
//! values by name within their attribute (new ones are appended, so
//! positions stay dense); products by item number; variants by their set of
//! values within their product; campaign items by variant within their
//! campaign. An existing row is never changed. A new product type gets its
//! attributes and vendors; an existing one only the vendors it lacks (adding
//! an attribute would leave its variants without a value for it). An
//! existing product gets the planned variants it lacks when its type's
//! attributes are still the planned ones.
//!
//! New rows are written (`storage::bulk::write`) with ids taken from the tables' identities, and the
//! derived columns (variant skus; item copies, totals and prices) are left
//! to `storage::derived::refresh`, the one place that computes them.

use crate::Seeded;
use crate::catalog::{COLOR, CatalogPlan, SIZE};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use storage::bulk::{self, VariantKey};
use storage::derived::{self, Affected};

/// What the campaigns of a distributor need from its catalog.
#[derive(Debug, Default)]
pub(crate) struct CatalogIds {
    /// The pick/pack partner of new campaigns.
    pub pick_pack: Option<i64>,
    /// Vendor ids by lower-cased name.
    vendors: HashMap<String, i64>,
    /// Variants by sku.
    variants: HashMap<String, VariantKey>,
}

/// A campaign to add items to.
pub(crate) struct Campaign<'a> {
    pub id: i64,
    pub distributor_id: i64,
    pub name: &'a str,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Takes `n` ids of `table` and pairs them with `items`.
async fn with_ids<T>(conn: &mut PgConnection, table: &str, items: Vec<T>) -> anyhow::Result<Vec<(i64, T)>> {
    let ids = bulk::reserve_ids(&mut *conn, table, items.len()).await?;
    Ok(ids.into_iter().zip(items).collect())
}

/// Makes sure `plan` exists for `distributor_id`; returns what items need.
pub(crate) async fn catalog(
    conn: &mut PgConnection,
    distributor_id: i64,
    plan: &CatalogPlan,
    now: DateTime<Utc>,
    seeded: &mut Seeded,
) -> anyhow::Result<CatalogIds> {
    // Vendors.
    let mut vendors: HashMap<String, i64> =
        bulk::vendor_keys(&mut *conn, distributor_id).await?.into_iter().map(|(id, name)| (name, id)).collect();
    let missing: Vec<_> = plan.vendors.iter().filter(|v| !vendors.contains_key(&key(v.name))).collect();
    let rows: Vec<bulk::Vendor> = with_ids(&mut *conn, "vendors", missing)
        .await?
        .into_iter()
        .map(|(id, v)| {
            vendors.insert(key(v.name), id);
            bulk::Vendor {
                id,
                distributor_id,
                name: v.name.to_owned(),
                email: v.email.to_owned(),
                address: v.address.to_owned(),
                is_supplier: v.roles.supplier,
                is_decorator: v.roles.decorator,
                is_pick_pack: v.roles.pick_pack,
                is_active: v.active,
                created_at: now,
                modified_at: now,
            }
        })
        .collect();
    seeded.vendors += rows.len();
    bulk::write(&mut *conn, &rows).await?;
    let vendor = |name: &str| vendors.get(&key(name)).copied().with_context(|| format!("no vendor {name}"));

    // Attributes and their values (appended after any the attribute has).
    let mut attributes: HashMap<String, i64> =
        bulk::attribute_keys(&mut *conn, distributor_id).await?.into_iter().map(|(id, name)| (name, id)).collect();
    let missing: Vec<&str> = [COLOR, SIZE].into_iter().filter(|a| !attributes.contains_key(&key(a))).collect();
    let rows: Vec<bulk::Attribute> = with_ids(&mut *conn, "attributes", missing)
        .await?
        .into_iter()
        .map(|(id, name)| {
            attributes.insert(key(name), id);
            bulk::Attribute { id, distributor_id, name: name.to_owned(), created_at: now, modified_at: now }
        })
        .collect();
    seeded.attributes += rows.len();
    bulk::write(&mut *conn, &rows).await?;
    let attribute = |name: &str| attributes.get(&key(name)).copied().with_context(|| format!("no attribute {name}"));

    // Value ids by (attribute id, lower-cased value name).
    let mut values: HashMap<(i64, String), i64> = HashMap::new();
    let mut value_rows = Vec::new();
    for (name, planned) in [(COLOR, &plan.colors), (SIZE, &plan.sizes)] {
        let attribute_id = attribute(name)?;
        let existing = bulk::attribute_value_keys(&mut *conn, attribute_id).await?;
        let mut position = existing.iter().map(|(_, _, p)| p + 1).max().unwrap_or(0);
        for (id, value, _) in existing {
            values.insert((attribute_id, value), id);
        }
        let missing: Vec<&str> =
            planned.iter().copied().filter(|v| !values.contains_key(&(attribute_id, key(v)))).collect();
        for (id, value) in with_ids(&mut *conn, "attribute_values", missing).await? {
            values.insert((attribute_id, key(value)), id);
            value_rows.push(bulk::AttributeValue {
                id,
                attribute_id,
                distributor_id,
                name: value.to_owned(),
                position,
                created_at: now,
                modified_at: now,
            });
            position += 1;
        }
    }
    seeded.attribute_values += value_rows.len();
    bulk::write(&mut *conn, &value_rows).await?;

    // Product types: a new one with its attributes and vendors; an existing
    // one gets only the vendors it lacks.
    let mut types: HashMap<String, i64> =
        bulk::product_type_keys(&mut *conn, distributor_id).await?.into_iter().map(|(id, name)| (name, id)).collect();
    let missing: Vec<_> = plan.types.iter().filter(|t| !types.contains_key(&key(t.name))).collect();
    let (mut type_rows, mut type_attributes, mut type_vendors) = (Vec::new(), Vec::new(), Vec::new());
    for (id, t) in with_ids(&mut *conn, "product_types", missing).await? {
        types.insert(key(t.name), id);
        type_rows.push(bulk::ProductType {
            id,
            distributor_id,
            name: t.name.to_owned(),
            created_at: now,
            modified_at: now,
        });
        for (position, a) in t.attributes.iter().enumerate() {
            type_attributes.push(bulk::ProductTypeAttribute {
                product_type_id: id,
                attribute_id: attribute(a)?,
                distributor_id,
                position: i32::try_from(position)?,
            });
        }
    }
    // Each type's attribute ids, as the database has them.
    let mut type_attribute_ids: HashMap<i64, Vec<i64>> = HashMap::new();
    for t in &plan.types {
        let id = types.get(&key(t.name)).copied().with_context(|| format!("no type {}", t.name))?;
        let linked: HashSet<i64> = bulk::type_vendor_ids(&mut *conn, id).await?.into_iter().collect();
        for v in &t.vendors {
            let vendor_id = vendor(v)?;
            if !linked.contains(&vendor_id) {
                type_vendors.push(bulk::ProductTypeVendor { product_type_id: id, vendor_id, distributor_id });
            }
        }
        let attrs = if type_rows.iter().any(|r| r.id == id) {
            t.attributes.iter().map(|a| attribute(a)).collect::<anyhow::Result<Vec<i64>>>()?
        } else {
            bulk::type_attribute_ids(&mut *conn, id).await?
        };
        type_attribute_ids.insert(id, attrs);
    }
    seeded.product_types += type_rows.len();
    bulk::write(&mut *conn, &type_rows).await?;
    bulk::write(&mut *conn, &type_attributes).await?;
    bulk::write(&mut *conn, &type_vendors).await?;

    // Products.
    let mut products: HashMap<String, (i64, i64)> = bulk::product_keys(&mut *conn, distributor_id)
        .await?
        .into_iter()
        .map(|(id, number, type_id)| (number, (id, type_id)))
        .collect();
    let missing: Vec<_> = plan.products.iter().filter(|p| !products.contains_key(&key(p.item_number))).collect();
    let mut product_rows = Vec::new();
    for (id, p) in with_ids(&mut *conn, "products", missing).await? {
        let type_id = types.get(&key(p.type_name)).copied().with_context(|| format!("no type {}", p.type_name))?;
        products.insert(key(p.item_number), (id, type_id));
        product_rows.push(bulk::Product {
            id,
            distributor_id,
            product_type_id: type_id,
            name: p.name.to_owned(),
            item_number: p.item_number.to_owned(),
            description: p.description.to_owned(),
            is_deleted: false,
            created_at: now,
            modified_at: now,
        });
    }
    seeded.products += product_rows.len();
    bulk::write(&mut *conn, &product_rows).await?;

    // Variants: each planned combination a product lacks, while its type
    // still has the planned attributes.
    let existing: HashSet<(i64, Vec<i64>)> = bulk::variant_keys(&mut *conn, distributor_id)
        .await?
        .into_iter()
        .map(|v| (v.product_id, v.value_ids))
        .collect();
    let mut planned = Vec::new();
    for p in &plan.products {
        let (product_id, type_id) = products[&key(p.item_number)];
        let ty = plan.type_named(p.type_name).with_context(|| format!("no type {}", p.type_name))?;
        let want: Vec<i64> = ty.attributes.iter().map(|a| attribute(a)).collect::<anyhow::Result<_>>()?;
        if type_attribute_ids.get(&type_id) != Some(&want) {
            tracing::warn!(item_number = p.item_number, "not adding variants: the product's type has other attributes");
            continue;
        }
        let supplier_id = vendor(p.supplier)?;
        for (combo, cost) in p.variants(ty.attributes) {
            let mut picked = Vec::with_capacity(combo.len());
            for (position, (a, v)) in combo.iter().enumerate() {
                let attribute_id = attribute(a)?;
                let value_id =
                    values.get(&(attribute_id, key(v))).copied().with_context(|| format!("no {a} value {v}"))?;
                picked.push((attribute_id, value_id, i32::try_from(position)?));
            }
            let mut value_ids: Vec<i64> = picked.iter().map(|(_, v, _)| *v).collect();
            value_ids.sort_unstable();
            if !existing.contains(&(product_id, value_ids.clone())) {
                planned.push((product_id, supplier_id, cost, value_ids, picked));
            }
        }
    }
    let (mut variant_rows, mut variant_values) = (Vec::new(), Vec::new());
    for (id, (product_id, supplier_id, vendor_cost, value_ids, picked)) in
        with_ids(&mut *conn, "product_variants", planned).await?
    {
        variant_rows.push(bulk::Variant {
            id,
            distributor_id,
            product_id,
            supplier_id,
            description: String::new(),
            vendor_cost,
            value_ids,
            sku: String::new(),
            created_at: now,
            modified_at: now,
        });
        for (attribute_id, attribute_value_id, position) in picked {
            variant_values.push(bulk::VariantValue {
                variant_id: id,
                attribute_id,
                attribute_value_id,
                distributor_id,
                position,
            });
        }
    }
    seeded.variants += variant_rows.len();
    bulk::write(&mut *conn, &variant_rows).await?;
    bulk::write(&mut *conn, &variant_values).await?;
    let new: Vec<i64> = variant_rows.iter().map(|v| v.id).collect();
    if !new.is_empty() {
        derived::refresh(&mut *conn, Affected::Variants(&new)).await?;
    }

    let variants =
        bulk::variant_keys(&mut *conn, distributor_id).await?.into_iter().map(|v| (v.sku.clone(), v)).collect();
    let pick_pack = Some(vendor(plan.pick_pack)?);
    Ok(CatalogIds { pick_pack, vendors, variants })
}

/// Adds the planned items `campaign` lacks (a draft's: the caller checks) and
/// lets `derived::refresh` fill their copies and prices. Returns how many.
pub(crate) async fn items(
    conn: &mut PgConnection,
    campaign: &Campaign<'_>,
    plan: &CatalogPlan,
    ids: &CatalogIds,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let have: HashSet<i64> = bulk::item_variant_ids(&mut *conn, campaign.id).await?.into_iter().collect();
    let mut planned = Vec::new();
    for item in plan.items.iter().filter(|i| i.campaign == campaign.name) {
        let mut decorations = Vec::with_capacity(item.decorations.len());
        for d in &item.decorations {
            let decorator_id =
                ids.vendors.get(&key(d.decorator)).copied().with_context(|| format!("no decorator {}", d.decorator))?;
            decorations.push(decoration(d.location, d.logo_description, d.cost, decorator_id));
        }
        for sku in plan.item_skus(item) {
            let Some(variant) = ids.variants.get(&sku) else { bail!("no variant {sku}") };
            if !have.contains(&variant.id) {
                planned.push((item, variant, serde_json::Value::Array(decorations.clone())));
            }
        }
    }
    let rows: Vec<bulk::CampaignItem> = with_ids(&mut *conn, "campaign_items", planned)
        .await?
        .into_iter()
        .map(|(id, (item, variant, decorations))| bulk::CampaignItem {
            id,
            campaign_id: campaign.id,
            distributor_id: campaign.distributor_id,
            product_variant_id: variant.id,
            vendor_cost: variant.vendor_cost,
            ow_cost: item.ow_cost,
            margin: item.margin,
            decorations,
            bin_id: item.bin_id.map(str::to_owned),
            // The rest is derived: `refresh` below fills it.
            sku: String::new(),
            product_id: variant.product_id,
            product_name: String::new(),
            product_type_name: String::new(),
            item_number: String::new(),
            description: String::new(),
            attributes: serde_json::Value::Array(Vec::new()),
            supplier_id: variant.supplier_id,
            supplier_name: String::new(),
            supplier_email: String::new(),
            supplier_address: String::new(),
            bfl_cost: Decimal::ZERO,
            applied_ow_cost: Decimal::ZERO,
            decoration_cost: Decimal::ZERO,
            total: Decimal::ZERO,
            price: Decimal::ZERO,
            frozen_at: None,
            created_at: now,
            modified_at: now,
        })
        .collect();
    bulk::write(&mut *conn, &rows).await?;
    let new: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if !new.is_empty() {
        derived::refresh(&mut *conn, Affected::Items(&new)).await?;
    }
    Ok(rows.len())
}

/// A decoration's stored inputs: the cost as a decimal string with two
/// places, as the API stores it (`derived` adds the decorator's copies).
pub(crate) fn decoration(
    location: &str,
    logo_description: &str,
    cost: Decimal,
    decorator_id: i64,
) -> serde_json::Value {
    serde_json::json!({
        "location": location,
        "logo_description": logo_description,
        "cost": domain::money::to_wire(cost),
        "decorator_id": decorator_id,
    })
}
