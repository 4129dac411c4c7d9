//! The report statements. Parameters, the same for every statement:
//! `$1` distributor, `$2` campaign, `$3` attribute names (text[]), `$4`/`$5`
//! checkout field names and kinds (text[]), `$6` vendor name (text, NULL:
//! all), `$7` time zone (text), `$8`/`$9` first and last day (date).
//! `ci` is always a campaign item, `o` an order.

/// The item's attribute values aligned to `$3` (NULL where it has none).
macro_rules! attrs {
    () => {
        "ARRAY(SELECT (SELECT e.a->>'value' FROM jsonb_array_elements(ci.attributes) AS e(a) \
                       WHERE e.a->>'attribute' = n.name LIMIT 1) \
               FROM unnest($3::text[]) WITH ORDINALITY AS n(name, i) ORDER BY n.i)"
    };
}

/// Sorts items by their size's position in the catalog, then by their
/// other values' positions (in the type's attribute order).
macro_rules! size_order {
    () => {
        "coalesce((SELECT string_agg(lpad(av.position::text, 6, '0'), '.' \
                                     ORDER BY lower(a.name) <> 'size', pvv.position) \
                   FROM product_variant_values pvv \
                   JOIN attribute_values av ON av.id = pvv.attribute_value_id \
                   JOIN attributes a ON a.id = pvv.attribute_id \
                   WHERE pvv.variant_id = ci.product_variant_id), '')"
    };
}

/// Bins in numeric order ("B-2" before "B-10"), then by name, missing last.
macro_rules! bin_order {
    () => {
        "(substring(ci.bin_id FROM '[0-9]+'))::numeric NULLS LAST, ci.bin_id NULLS LAST"
    };
}

/// One member of each of the item's decorations, in order.
macro_rules! decorations {
    ($expr:literal) => {
        concat!(
            "ARRAY(SELECT ",
            $expr,
            " FROM jsonb_array_elements(ci.decorations) WITH ORDINALITY AS e(d, o) ORDER BY e.o)"
        )
    };
}

/// Where the item is decorated, in one text.
macro_rules! logo_positions {
    () => {
        "coalesce((SELECT string_agg(e.d->>'location', ', ' ORDER BY e.o) \
                   FROM jsonb_array_elements(ci.decorations) WITH ORDINALITY AS e(d, o)), '')"
    };
}

/// The order's checkout values aligned to `$4`/`$5`; a location field shows
/// the nickname of the location copied onto the order.
macro_rules! checkout {
    () => {
        "ARRAY(SELECT CASE WHEN f.kind = 'location' \
                           THEN coalesce(o.location->>'nickname', o.checkout_fields->>f.name) \
                           ELSE o.checkout_fields->>f.name END \
               FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS f(name, kind, i) ORDER BY f.i)"
    };
}

/// The quantity ordered of each campaign item, cancelled orders left out.
macro_rules! ordered {
    () => {
        "WITH ordered AS ( \
           SELECT l.campaign_item_id AS id, sum(l.quantity)::int8 AS quantity \
           FROM orders o JOIN order_items l ON l.order_id = o.id \
           WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
           GROUP BY l.campaign_item_id) "
    };
}

/// sku, item #, vendor, product, attributes[], logo positions[], logo
/// prices[], vendor cost, b/f/l, ow cost, total, margin, price.
pub(super) const CAMPAIGN_PRODUCTS: &str = concat!(
    "SELECT ci.sku, ci.item_number, ci.supplier_name, ci.product_name, ",
    attrs!(),
    ", ",
    decorations!("coalesce(e.d->>'location', '')"),
    ", ",
    decorations!("coalesce((e.d->>'cost')::numeric, 0)"),
    ", ci.vendor_cost, ci.bfl_cost, ci.applied_ow_cost, ci.total, ci.margin, ci.price \
     FROM campaign_items ci WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
     ORDER BY ci.product_name, ",
    size_order!(),
    ", ci.id"
);

/// product, vendor, item #, attributes[], decorator names[], logo
/// descriptions[], logo positions[], quantity.
pub(super) const DECORATOR_ITEMS: &str = concat!(
    ordered!(),
    "SELECT ci.product_name, ci.supplier_name, ci.item_number, ",
    attrs!(),
    ", ",
    decorations!("coalesce(e.d->>'decorator_name', '')"),
    ", ",
    decorations!("coalesce(e.d->>'logo_description', '')"),
    ", ",
    decorations!("coalesce(e.d->>'location', '')"),
    ", q.quantity FROM ordered q JOIN campaign_items ci ON ci.id = q.id \
     WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
     ORDER BY ci.supplier_name, ci.item_number, ",
    size_order!(),
    ", ci.id"
);

/// PO name, items, b/f/l cost, PO amount (one row).
pub(super) const BAG_FOLD_LABEL: &str = concat!(
    ordered!(),
    "SELECT 'Bag/Fold/Label'::text, coalesce(sum(q.quantity), 0)::int8, c.bfl_cost, \
            round(coalesce(sum(q.quantity), 0) * c.bfl_cost, 2) \
     FROM campaigns c LEFT JOIN ordered q ON TRUE \
     WHERE c.distributor_id = $1 AND c.id = $2 GROUP BY c.id, c.bfl_cost"
);

/// decorator, logo, location, items, cost, PO amount.
pub(super) const DECORATIONS: &str = concat!(
    ordered!(),
    ", d AS (SELECT coalesce(e.d->>'decorator_name', '') AS decorator, \
                    coalesce(e.d->>'logo_description', '') AS logo, coalesce(e.d->>'location', '') AS location, \
                    coalesce((e.d->>'cost')::numeric, 0) AS cost, q.quantity \
             FROM ordered q JOIN campaign_items ci ON ci.id = q.id \
             CROSS JOIN LATERAL jsonb_array_elements(ci.decorations) AS e(d) \
             WHERE ci.distributor_id = $1 AND ci.campaign_id = $2) \
     SELECT decorator, logo, location, sum(quantity)::int8, cost, round(sum(quantity) * cost, 2) \
     FROM d GROUP BY decorator, logo, location, cost ORDER BY decorator, logo, location, cost"
);

/// order id, first name, last name, email, checkout[], order #, sku, item
/// #, vendor, product, attributes[], quantity, price/each, price/total.
pub(super) const ORDER_LINES: &str = concat!(
    "SELECT o.id, a.first_name, a.last_name, a.email, ",
    checkout!(),
    ", o.number, ci.sku, ci.item_number, ci.supplier_name, l.product_name, ",
    attrs!(),
    ", l.quantity::int8, l.unit_price, l.line_total \
     FROM orders o JOIN accounts a ON a.id = o.account_id \
     JOIN order_items l ON l.order_id = o.id JOIN campaign_items ci ON ci.id = l.campaign_item_id \
     WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
     ORDER BY o.created_at, o.id, l.id"
);

/// bin, item #, vendor, product, attributes[], logo positions: one row
/// per unit.
pub(super) const LABELS: &str = concat!(
    ordered!(),
    "SELECT coalesce(ci.bin_id, ''), ci.item_number, ci.supplier_name, ci.product_name, ",
    attrs!(),
    ", ",
    logo_positions!(),
    " FROM ordered q JOIN campaign_items ci ON ci.id = q.id \
     CROSS JOIN LATERAL generate_series(1, q.quantity) AS u(n) \
     WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
     ORDER BY ",
    bin_order!(),
    ", ",
    size_order!(),
    ", ci.id, u.n"
);

/// nickname, company, street, city, zip, contact, suite, region, country,
/// orders, items.
pub(super) const LOCATIONS: &str = "\
    WITH sent AS ( \
      SELECT (o.location->>'id')::int8 AS id, count(*)::int8 AS orders, sum(o.items_count)::int8 AS items \
      FROM orders o WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
      GROUP BY 1) \
    SELECT l.nickname, l.company_name, l.street_and_number, l.city, l.zip_code, l.delivery_contact, l.suite_unit, \
           l.region, l.country, coalesce(s.orders, 0)::int8, coalesce(s.items, 0)::int8 \
    FROM locations l LEFT JOIN sent s ON s.id = l.id \
    WHERE l.distributor_id = $1 AND l.campaign_id = $2 ORDER BY l.nickname, l.id";

/// first name, last name, email, checkout[] (of the shopper's latest
/// order), order numbers, total price, allowance (the ledger's sum),
/// payroll deduction.
pub(super) const PAYROLL: &str = concat!(
    "WITH per AS ( \
       SELECT o.account_id, string_agg(o.number, ', ' ORDER BY o.created_at, o.id) AS numbers, \
              sum(o.subtotal) AS total, sum(o.payroll_deduction) AS deduction, \
              (array_agg(o.id ORDER BY o.created_at DESC, o.id DESC))[1] AS latest \
       FROM orders o WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
       GROUP BY o.account_id HAVING sum(o.payroll_deduction) > 0), \
     taken AS ( \
       SELECT g.account_id, sum(g.amount) AS allowance FROM allowance_ledger g \
       WHERE g.distributor_id = $1 AND g.campaign_id = $2 GROUP BY g.account_id) \
     SELECT a.first_name, a.last_name, a.email, ",
    checkout!(),
    ", per.numbers, per.total, coalesce(t.allowance, 0), per.deduction \
     FROM per JOIN accounts a ON a.id = per.account_id JOIN orders o ON o.id = per.latest \
     LEFT JOIN taken t ON t.account_id = per.account_id \
     ORDER BY a.last_name, a.first_name, a.id"
);

/// first name, last name, email, checkout[], order #, bins[], quantities[],
/// items.
pub(super) const PICK_PACK: &str = concat!(
    "SELECT a.first_name, a.last_name, a.email, ",
    checkout!(),
    ", o.number, p.bins, p.quantities, o.items_count::int8 \
     FROM orders o JOIN accounts a ON a.id = o.account_id \
     CROSS JOIN LATERAL ( \
       SELECT array_agg(coalesce(ci.bin_id, '') ORDER BY ",
    bin_order!(),
    ", l.id) AS bins, array_agg(l.quantity::int8 ORDER BY ",
    bin_order!(),
    ", l.id) AS quantities \
       FROM order_items l JOIN campaign_items ci ON ci.id = l.campaign_item_id WHERE l.order_id = o.id) p \
     WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
     ORDER BY o.created_at, o.id"
);

/// first name, last name, email, checkout[], order #, placed at, items,
/// sales.
pub(super) const ORDERS: &str = concat!(
    "SELECT a.first_name, a.last_name, a.email, ",
    checkout!(),
    ", o.number, o.created_at, o.items_count::int8, o.subtotal \
     FROM orders o JOIN accounts a ON a.id = o.account_id \
     WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' \
     ORDER BY o.created_at, o.id"
);

/// item #, vendor, product, attributes[], quantity, cost, total cost.
pub(super) const VENDOR_ITEMS: &str = concat!(
    ordered!(),
    "SELECT ci.item_number, ci.supplier_name, ci.product_name, ",
    attrs!(),
    ", q.quantity, ci.vendor_cost, round(q.quantity * ci.vendor_cost, 2) \
     FROM ordered q JOIN campaign_items ci ON ci.id = q.id \
     WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
       AND ($6::text IS NULL OR lower(ci.supplier_name) = lower($6::text)) \
     ORDER BY ci.supplier_name, ci.item_number, ",
    size_order!(),
    ", ci.id"
);

/// sku, product, attributes[], logo positions, bin, quantity.
pub(super) const BINS: &str = concat!(
    ordered!(),
    "SELECT ci.sku, ci.product_name, ",
    attrs!(),
    ", ",
    logo_positions!(),
    ", CASE WHEN ci.bin_id IS NULL THEN '' ELSE 'Bin ' || ci.bin_id END, q.quantity \
     FROM ordered q JOIN campaign_items ci ON ci.id = q.id \
     WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
     ORDER BY ",
    bin_order!(),
    ", ",
    size_order!(),
    ", ci.id"
);

/// The distributor's orders placed from `$8` to `$9` (days in `$7`).
macro_rules! in_range {
    () => {
        "o.distributor_id = $1 AND o.status <> 'cancelled' \
         AND o.created_at >= ($8::date::timestamp AT TIME ZONE $7::text) \
         AND o.created_at < (($9::date + 1)::timestamp AT TIME ZONE $7::text)"
    };
}

/// campaign, orders, items, sales.
pub(super) const SALES_PER_CAMPAIGN: &str = concat!(
    "SELECT c.name, count(*)::int8, sum(o.items_count)::int8, sum(o.subtotal) \
     FROM orders o JOIN campaigns c ON c.id = o.campaign_id AND c.distributor_id = $1 \
     WHERE ",
    in_range!(),
    " GROUP BY c.id, c.name ORDER BY c.name, c.id"
);

/// day, orders, items, sales.
pub(super) const SALES_PER_DAY: &str = concat!(
    "SELECT to_char(o.created_at AT TIME ZONE $7::text, 'YYYY-MM-DD'), count(*)::int8, sum(o.items_count)::int8, \
            sum(o.subtotal) \
     FROM orders o WHERE ",
    in_range!(),
    " GROUP BY 1 ORDER BY 1"
);
