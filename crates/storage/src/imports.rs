//! CSV catalog import: set-based upsert of products and variants.
//!
//! The API parses and checks the file (with `validators::import`) against
//! [`dictionary`] (read before the
//! body, so no transaction is open while a slow client uploads), then calls
//! [`run`] once in a transaction. `run` loads the good rows into two temporary
//! tables with one `UNNEST` each and does everything else as a fixed number
//! of set-based statements, whatever the number of rows: match the stored
//! products and variants, check what only the database knows (a product
//! whose type would change though it has variants), count what would change,
//! and — for a real run without issues — insert and update, then refresh the
//! derived columns once.
//!
//! Every UPDATE touches only rows whose values really differ, so importing
//! the same file again moves no `version` (and no ETag).

use crate::derived::{self, Affected};
use crate::error::Result;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// A product type of the catalog, with its attributes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogType {
    pub id: i64,
    pub name: String,
    pub attribute_ids: Vec<i64>,
}

/// An attribute and its values, (id, name) in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogAttribute {
    pub id: i64,
    pub name: String,
    pub values: Vec<(i64, String)>,
}

/// A vendor and what decides whether it may supply a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogVendor {
    pub id: i64,
    pub name: String,
    pub is_supplier: bool,
    pub is_active: bool,
}

/// What a file's names are matched against (see [`dictionary`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub product_types: Vec<CatalogType>,
    pub attributes: Vec<CatalogAttribute>,
    pub vendors: Vec<CatalogVendor>,
}

/// A product of the file: the values of the first row of its item number.
#[derive(Debug, Clone, Copy)]
pub struct ImportProduct<'a> {
    /// The file row it was read from (for issues).
    pub row: u64,
    pub item_number: &'a str,
    pub name: &'a str,
    pub product_type_id: i64,
    /// `None` keeps a stored product's description (`''` for a new one).
    pub description: Option<&'a str>,
}

/// A variant of the file (one row).
#[derive(Debug, Clone, Copy)]
pub struct ImportVariant<'a> {
    pub row: u64,
    /// Index of its product in the products slice.
    pub product: usize,
    pub supplier_id: i64,
    pub vendor_cost: Decimal,
    /// `None` keeps a stored variant's description (`''` for a new one).
    pub description: Option<&'a str>,
    /// One value per attribute of the type, sorted (the stored key).
    pub value_ids: &'a [i64],
}

/// A stored product with variants whose type the file would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeChange {
    /// The product's first row in the file.
    pub row: u64,
    pub item_number: String,
    pub from: String,
    pub to: String,
}

/// What an import did, or a dry run would do. Counts are of products and
/// variants named by the file: each is created, updated or unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub created_products: u64,
    pub updated_products: u64,
    pub unchanged_products: u64,
    pub created_variants: u64,
    pub updated_variants: u64,
    pub unchanged_variants: u64,
    /// What only the database can tell is wrong (row order).
    pub type_changes: Vec<TypeChange>,
    /// Whether the rows were written (a real run without any issue).
    pub written: bool,
}

/// Distributor `distributor_id`'s product types (with their attributes in
/// order), attributes with their values, and vendors: what a file's names
/// are matched against.
#[tracing::instrument(skip(db))]
pub async fn dictionary(db: &mut PgConnection, distributor_id: i64) -> Result<Catalog> {
    let types: Vec<(i64, String, Vec<i64>)> = sqlx::query_as(
        "SELECT pt.id, pt.name, coalesce(array_agg(pta.attribute_id ORDER BY pta.position) \
                FILTER (WHERE pta.attribute_id IS NOT NULL), '{}') \
         FROM product_types pt LEFT JOIN product_type_attributes pta ON pta.product_type_id = pt.id \
         WHERE pt.distributor_id = $1 GROUP BY pt.id",
    )
    .bind(distributor_id)
    .fetch_all(&mut *db)
    .await?;
    let attributes: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM attributes WHERE distributor_id = $1 ORDER BY id")
            .bind(distributor_id)
            .fetch_all(&mut *db)
            .await?;
    let values: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT attribute_id, id, name FROM attribute_values WHERE distributor_id = $1 ORDER BY attribute_id, position",
    )
    .bind(distributor_id)
    .fetch_all(&mut *db)
    .await?;
    let vendors: Vec<(i64, String, bool, bool)> =
        sqlx::query_as("SELECT id, name, is_supplier, is_active FROM vendors WHERE distributor_id = $1 ORDER BY id")
            .bind(distributor_id)
            .fetch_all(&mut *db)
            .await?;

    let mut by_attribute: std::collections::HashMap<i64, Vec<(i64, String)>> = std::collections::HashMap::new();
    for (attribute_id, id, name) in values {
        by_attribute.entry(attribute_id).or_default().push((id, name));
    }
    Ok(Catalog {
        product_types: types
            .into_iter()
            .map(|(id, name, attribute_ids)| CatalogType { id, name, attribute_ids })
            .collect(),
        attributes: attributes
            .into_iter()
            .map(|(id, name)| CatalogAttribute { id, name, values: by_attribute.remove(&id).unwrap_or_default() })
            .collect(),
        vendors: vendors
            .into_iter()
            .map(|(id, name, is_supplier, is_active)| CatalogVendor { id, name, is_supplier, is_active })
            .collect(),
    })
}

/// Matches the file's good `products` and `variants` against distributor
/// `distributor_id`'s catalog, counts what would change and, when `write` is
/// set and the database check finds no type change, writes them (the caller
/// sets `write` only for a real run of a file without issues). Run it in a
/// transaction: the caller commits a written import and rolls back anything
/// else (the temporary tables go with the transaction either way).
#[tracing::instrument(skip(conn, products, variants), fields(products = products.len(), variants = variants.len()))]
pub async fn run(
    conn: &mut PgConnection,
    distributor_id: i64,
    products: &[ImportProduct<'_>],
    variants: &[ImportVariant<'_>],
    write: bool,
) -> Result<Outcome> {
    if write {
        // One import per distributor at a time: two imports of the same new
        // item numbers would otherwise both insert, and one fail late.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('catalog_import'), hashtext($1::text))")
            .bind(distributor_id)
            .execute(&mut *conn)
            .await?;
    }
    stage(&mut *conn, products, variants).await?;
    match_stored(&mut *conn, distributor_id, write).await?;
    let type_changes = type_changes(&mut *conn).await?;
    let mut outcome = count(&mut *conn).await?;
    outcome.type_changes = type_changes;
    if write && outcome.type_changes.is_empty() {
        apply(&mut *conn, distributor_id).await?;
        outcome.written = true;
    }
    Ok(outcome)
}

/// The good rows into `import_products` (one row per item number) and
/// `import_variants` (one per variant), dropped at the end of the
/// transaction.
async fn stage(conn: &mut PgConnection, products: &[ImportProduct<'_>], variants: &[ImportVariant<'_>]) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TEMPORARY TABLE import_products (
             ord              INTEGER PRIMARY KEY,
             first_row        BIGINT NOT NULL,
             item_number      TEXT NOT NULL,
             name             TEXT NOT NULL,
             product_type_id  BIGINT NOT NULL,
             description      TEXT,
             product_id       BIGINT,
             created          BOOLEAN NOT NULL DEFAULT FALSE
         ) ON COMMIT DROP;
         CREATE TEMPORARY TABLE import_variants (
             row_number       BIGINT PRIMARY KEY,
             product_ord      INTEGER NOT NULL,
             supplier_id      BIGINT NOT NULL,
             vendor_cost      NUMERIC(12, 2) NOT NULL,
             description      TEXT,
             value_ids        BIGINT[] NOT NULL,
             variant_id       BIGINT,
             created          BOOLEAN NOT NULL DEFAULT FALSE
         ) ON COMMIT DROP;",
    )
    .execute(&mut *conn)
    .await?;

    let n = products.len();
    let (mut ord, mut rows, mut numbers, mut names, mut types, mut descriptions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, p) in products.iter().enumerate() {
        ord.push(i as i32);
        rows.push(p.row as i64);
        numbers.push(p.item_number);
        names.push(p.name);
        types.push(p.product_type_id);
        descriptions.push(p.description);
    }
    sqlx::query(
        "INSERT INTO import_products (ord, first_row, item_number, name, product_type_id, description) \
         SELECT * FROM UNNEST($1::int4[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[])",
    )
    .bind(ord)
    .bind(rows)
    .bind(numbers)
    .bind(names)
    .bind(types)
    .bind(descriptions)
    .execute(&mut *conn)
    .await?;

    let n = variants.len();
    let (mut rows, mut products, mut suppliers, mut costs, mut descriptions, mut values) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::<Decimal>::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for v in variants {
        rows.push(v.row as i64);
        products.push(v.product as i32);
        suppliers.push(v.supplier_id);
        costs.push(v.vendor_cost);
        descriptions.push(v.description);
        // A 2-D array would flatten in UNNEST; each set goes as its literal.
        let ids: Vec<String> = v.value_ids.iter().map(i64::to_string).collect();
        values.push(format!("{{{}}}", ids.join(",")));
    }
    sqlx::query(
        "INSERT INTO import_variants (row_number, product_ord, supplier_id, vendor_cost, description, value_ids) \
         SELECT r, p, s, c, d, v::int8[] \
         FROM UNNEST($1::int8[], $2::int4[], $3::int8[], $4::numeric[], $5::text[], $6::text[]) AS u(r, p, s, c, d, v)",
    )
    .bind(rows)
    .bind(products)
    .bind(suppliers)
    .bind(costs)
    .bind(descriptions)
    .bind(values)
    .execute(&mut *conn)
    .await?;
    // Temporary tables are never analysed automatically; the joins below
    // need their sizes to choose hash joins for large files.
    sqlx::raw_sql("ANALYZE import_products; ANALYZE import_variants").execute(&mut *conn).await?;
    Ok(())
}

/// Finds the stored product of each item number (among the distributor's
/// products that are not deleted, case-insensitively as the unique index
/// does), locking them when they are to be written, and the stored variant
/// of each value set.
async fn match_stored(conn: &mut PgConnection, distributor_id: i64, lock: bool) -> Result<()> {
    const FIND: &str = "WITH found AS (\
           SELECT p.id, lower(p.item_number) AS k FROM products p \
           WHERE p.distributor_id = $1 AND NOT p.is_deleted \
             AND lower(p.item_number) IN (SELECT lower(item_number) FROM import_products) \
           FOR UPDATE OF p) \
         UPDATE import_products ip SET product_id = found.id FROM found WHERE found.k = lower(ip.item_number)";
    const PEEK: &str = "WITH found AS (\
           SELECT p.id, lower(p.item_number) AS k FROM products p \
           WHERE p.distributor_id = $1 AND NOT p.is_deleted \
             AND lower(p.item_number) IN (SELECT lower(item_number) FROM import_products)) \
         UPDATE import_products ip SET product_id = found.id FROM found WHERE found.k = lower(ip.item_number)";
    sqlx::query(if lock { FIND } else { PEEK }).bind(distributor_id).execute(&mut *conn).await?;
    sqlx::query(
        "UPDATE import_variants iv SET variant_id = v.id \
         FROM import_products ip, product_variants v \
         WHERE ip.ord = iv.product_ord AND v.product_id = ip.product_id AND v.value_ids = iv.value_ids",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A stored product that has variants keeps its type: its variants' values
/// belong to the old type's attributes.
async fn type_changes(conn: &mut PgConnection) -> Result<Vec<TypeChange>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT ip.first_row, p.item_number, old.name, new.name \
         FROM import_products ip \
         JOIN products p ON p.id = ip.product_id \
         JOIN product_types old ON old.id = p.product_type_id \
         JOIN product_types new ON new.id = ip.product_type_id \
         WHERE p.product_type_id <> ip.product_type_id \
           AND EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id) \
         ORDER BY ip.first_row",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(row, item_number, from, to)| TypeChange { row: row.max(0) as u64, item_number, from, to })
        .collect())
}

/// How many products and variants would be created, updated or left alone.
/// A missing description column (NULL) keeps the stored description.
async fn count(conn: &mut PgConnection) -> Result<Outcome> {
    let (cp, up, np): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE ip.product_id IS NULL), \
                count(*) FILTER (WHERE ip.product_id IS NOT NULL AND \
                  (p.name, p.product_type_id, p.description) IS DISTINCT FROM \
                  (ip.name, ip.product_type_id, coalesce(ip.description, p.description))), \
                count(*) \
         FROM import_products ip LEFT JOIN products p ON p.id = ip.product_id",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (cv, uv, nv): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE iv.variant_id IS NULL), \
                count(*) FILTER (WHERE iv.variant_id IS NOT NULL AND \
                  (v.supplier_id, v.vendor_cost, v.description) IS DISTINCT FROM \
                  (iv.supplier_id, iv.vendor_cost, coalesce(iv.description, v.description))), \
                count(*) \
         FROM import_variants iv LEFT JOIN product_variants v ON v.id = iv.variant_id",
    )
    .fetch_one(&mut *conn)
    .await?;
    let n = |x: i64| x.max(0) as u64;
    Ok(Outcome {
        created_products: n(cp),
        updated_products: n(up),
        unchanged_products: n(np - cp - up),
        created_variants: n(cv),
        updated_variants: n(uv),
        unchanged_variants: n(nv - cv - uv),
        type_changes: Vec::new(),
        written: false,
    })
}

/// The writes, then one refresh of the derived columns (skus, draft
/// campaign items) of every variant whose inputs changed: the new and
/// updated variants and every variant of an updated product. One
/// `Affected::Variants` over that set does what `Affected::Product` would do
/// per product, in one statement.
async fn apply(conn: &mut PgConnection, distributor_id: i64) -> Result<()> {
    sqlx::query(
        "WITH ins AS (\
           INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
           SELECT $1, product_type_id, name, item_number, coalesce(description, '') \
           FROM import_products WHERE product_id IS NULL ORDER BY ord \
           RETURNING id, lower(item_number) AS k) \
         UPDATE import_products ip SET product_id = ins.id, created = TRUE FROM ins WHERE lower(ip.item_number) = ins.k",
    )
    .bind(distributor_id)
    .execute(&mut *conn)
    .await?;
    let updated_products: Vec<i64> = sqlx::query_scalar(
        "UPDATE products p SET name = ip.name, product_type_id = ip.product_type_id, \
                description = coalesce(ip.description, p.description) \
         FROM import_products ip \
         WHERE p.id = ip.product_id AND NOT ip.created \
           AND (p.name, p.product_type_id, p.description) IS DISTINCT FROM \
               (ip.name, ip.product_type_id, coalesce(ip.description, p.description)) \
         RETURNING p.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "WITH ins AS (\
           INSERT INTO product_variants (distributor_id, product_id, supplier_id, description, vendor_cost, value_ids) \
           SELECT $1, ip.product_id, iv.supplier_id, coalesce(iv.description, ''), iv.vendor_cost, iv.value_ids \
           FROM import_variants iv JOIN import_products ip ON ip.ord = iv.product_ord \
           WHERE iv.variant_id IS NULL ORDER BY iv.row_number \
           RETURNING id, product_id, value_ids) \
         UPDATE import_variants iv SET variant_id = ins.id, created = TRUE \
         FROM ins, import_products ip \
         WHERE ip.ord = iv.product_ord AND ins.product_id = ip.product_id AND ins.value_ids = iv.value_ids",
    )
    .bind(distributor_id)
    .execute(&mut *conn)
    .await?;
    // Each value sits at its attribute's position in the type: the sku order.
    sqlx::query(
        "INSERT INTO product_variant_values (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
         SELECT iv.variant_id, av.attribute_id, av.id, $1, pta.position \
         FROM import_variants iv \
         JOIN import_products ip ON ip.ord = iv.product_ord \
         CROSS JOIN LATERAL unnest(iv.value_ids) AS u(value_id) \
         JOIN attribute_values av ON av.id = u.value_id \
         JOIN product_type_attributes pta ON pta.product_type_id = ip.product_type_id AND pta.attribute_id = av.attribute_id \
         WHERE iv.created",
    )
    .bind(distributor_id)
    .execute(&mut *conn)
    .await?;
    let updated_variants: Vec<i64> = sqlx::query_scalar(
        "UPDATE product_variants v SET supplier_id = iv.supplier_id, vendor_cost = iv.vendor_cost, \
                description = coalesce(iv.description, v.description) \
         FROM import_variants iv \
         WHERE v.id = iv.variant_id AND NOT iv.created \
           AND (v.supplier_id, v.vendor_cost, v.description) IS DISTINCT FROM \
               (iv.supplier_id, iv.vendor_cost, coalesce(iv.description, v.description)) \
         RETURNING v.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let changed: Vec<i64> = sqlx::query_scalar(
        "SELECT variant_id FROM import_variants WHERE created \
         UNION SELECT unnest($1::int8[]) \
         UNION SELECT id FROM product_variants WHERE product_id = ANY($2)",
    )
    .bind(&updated_variants)
    .bind(&updated_products)
    .fetch_all(&mut *conn)
    .await?;
    if !changed.is_empty() {
        derived::refresh(&mut *conn, Affected::Variants(&changed)).await?;
    }
    Ok(())
}
