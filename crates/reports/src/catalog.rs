//! The reports as data: what each one is called, which tables it has, where
//! their rows come from, which columns and meta they show and who may run
//! it. Adding a report is adding an entry here (and, if it needs new rows, a
//! statement in `storage::reports`).

use crate::cell::Kind;
use domain::Role;
use storage::reports::Source;

/// A report of the catalog.
#[derive(Debug)]
pub struct ReportDef {
    /// The URL name (`vendor-po`).
    pub slug: &'static str,
    /// The name people know it by (`Vendor PO`).
    pub name: &'static str,
    pub description: &'static str,
    /// Whether it is about one campaign ([`crate::run`]) or a distributor's
    /// campaigns over a date range ([`crate::distributor_sales`]).
    pub scope: Scope,
    pub tables: &'static [&'static TableDef],
    /// Admin buyers may run it (of their own campaigns); staff run every report.
    pub admin_buyer: bool,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Campaign,
    Distributor,
}

/// A parameter a report accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ParamDef {
    pub name: &'static str,
    pub description: &'static str,
}

const TZ: ParamDef = ParamDef { name: "tz", description: "IANA time zone dates are printed in (default UTC)" };
const TABLE: ParamDef = ParamDef { name: "table", description: "only this table (CSV: one file instead of a ZIP)" };
const VENDOR: ParamDef =
    ParamDef { name: "vendor", description: "only this vendor's items (the Vendor column is dropped)" };
const FROM: ParamDef = ParamDef { name: "from", description: "first day of the range (YYYY-MM-DD, in tz)" };
const TO: ParamDef = ParamDef { name: "to", description: "last day of the range (YYYY-MM-DD, in tz)" };

impl ReportDef {
    /// Whether `role` may run this report (within its scope: admin buyers
    /// only of their own campaigns).
    pub fn allowed(&self, role: Role) -> bool {
        match role {
            Role::Shopper => false,
            Role::AdminBuyer => self.admin_buyer,
            Role::SalesExecutive | Role::DistributorManager | Role::SuperAdmin => true,
        }
    }

    /// The roles that may run it, least first.
    pub fn roles(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.allowed(*r)).collect()
    }

    /// The parameters it accepts.
    pub fn params(&self) -> Vec<ParamDef> {
        let mut params = vec![TZ];
        if self.scope == Scope::Distributor {
            params.extend([FROM, TO]);
        }
        if self.tables.len() > 1 {
            params.push(TABLE);
        }
        if self.has_vendor_filter() {
            params.push(VENDOR);
        }
        params
    }

    /// Whether the `vendor` parameter applies (a Vendor PO table is in it).
    pub fn has_vendor_filter(&self) -> bool {
        self.tables.iter().any(|t| t.columns.iter().any(|c| matches!(c, Col::Vendor(_))))
    }

    pub fn table_names(&self) -> Vec<&'static str> {
        self.tables.iter().map(|t| t.name).collect()
    }
}

/// A table of a report.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    /// The statement its rows come from.
    pub source: Source,
    pub columns: &'static [Col],
    pub meta: &'static [Meta],
    /// A subtotal row after each group of rows (Itemized Shopper's orders).
    pub subtotals: Option<Subtotals>,
    /// The chart the HTML page draws of it.
    pub chart: Option<Chart>,
}

/// A column, or a group of columns, and the statement column(s) it shows.
#[derive(Debug, Clone, Copy)]
pub enum Col {
    /// One column: header, statement column, kind.
    Field(&'static str, usize, Kind),
    /// The Vendor column of a Vendor PO: left out when the report is of one vendor.
    Vendor(usize),
    /// One text column per attribute of the campaign's items (an array column).
    Attributes(usize),
    /// One text column per checkout field of the campaign (an array column).
    Checkout(usize),
    /// Per decoration `i` (1 up to the most any item has), one column per
    /// member: `"<header> i"` from the array column.
    Decorations(&'static [(&'static str, usize, Kind)]),
    /// Per line `i` of the longest order: `Product i` ("Bin #<bin>") and
    /// `Quantity i` ("Pick <n>"), from two array columns.
    PickList { bins: usize, quantities: usize },
}

/// A meta line under a table.
#[derive(Debug, Clone, Copy)]
pub enum Meta {
    /// The number of data rows.
    Count(&'static str),
    /// The sum of a column over the data rows.
    Sum(&'static str, &'static str),
    /// The sum of a column plus the sum of a column of an earlier table of
    /// the report (`table`, `column`).
    SumPlus { label: &'static str, column: &'static str, table: &'static str, other: &'static str },
}

impl Meta {
    pub fn label(&self) -> &'static str {
        match self {
            Meta::Count(l) | Meta::Sum(l, _) | Meta::SumPlus { label: l, .. } => l,
        }
    }
}

/// A subtotal row whenever statement column `key` changes: `label` in
/// column `at`, and the sums of `sums` since the last one.
#[derive(Debug, Clone, Copy)]
pub struct Subtotals {
    pub key: usize,
    pub at: &'static str,
    pub label: &'static str,
    pub sums: &'static [&'static str],
}

/// A chart of a table.
#[derive(Debug, Clone, Copy)]
pub enum Chart {
    /// One bar per value of column `group` (or of `fallback` when `group`
    /// is not shown), the sum of `value` (or the number of rows).
    Bars { title: &'static str, group: &'static str, fallback: Option<&'static str>, value: Option<&'static str> },
    /// A line of the sum of `value` per day of column `day` (a moment, cut in
    /// the report's time zone, or a `YYYY-MM-DD` text).
    Daily { title: &'static str, day: &'static str, value: &'static str },
    /// How many rows fall into each range of `value`.
    Distribution { title: &'static str, value: &'static str },
}

use Col::{Attributes, Checkout, Field};
use Kind::{Integer, Money, Number, Text, Timestamp};

const SHOPPER: [Col; 4] =
    [Field("First Name", 1, Text), Field("Last Name", 2, Text), Field("Email", 3, Text), Checkout(4)];

pub static CAMPAIGN_PRODUCT_LIST: TableDef = TableDef {
    name: "Campaign Product List",
    source: Source::CampaignProducts,
    columns: &[
        Field("SKU", 0, Text),
        Field("Item #", 1, Text),
        Field("Vendor", 2, Text),
        Field("Product Name", 3, Text),
        Attributes(4),
        Col::Decorations(&[("Logo Position", 5, Text), ("Logo Price", 6, Money)]),
        Field("Net Cost", 7, Money),
        Field("F/B/L", 8, Money),
        Field("OW Cost", 9, Money),
        Field("Total Cost", 10, Money),
        Field("Profit Margin", 11, Number),
        Field("Sales Price", 12, Money),
    ],
    meta: &[],
    subtotals: None,
    chart: Some(Chart::Bars { title: "Items per vendor", group: "Vendor", fallback: None, value: None }),
};

pub static DECORATOR_PO: TableDef = TableDef {
    name: "Decorator PO",
    source: Source::DecoratorItems,
    columns: &[
        Field("Item Name", 0, Text),
        Field("Vendor Name", 1, Text),
        Field("Item Number", 2, Text),
        Attributes(3),
        Col::Decorations(&[("Decorator Name", 4, Text), ("Logo Description", 5, Text), ("Logo Position", 6, Text)]),
        Field("Total ordered in campaign", 7, Integer),
    ],
    meta: &[Meta::Sum("Total items ordered in campaign", "Total ordered in campaign")],
    subtotals: None,
    chart: Some(Chart::Bars {
        title: "Items per vendor",
        group: "Vendor Name",
        fallback: None,
        value: Some("Total ordered in campaign"),
    }),
};

pub static BAG_FOLD_LABEL_PO: TableDef = TableDef {
    name: "Bag/Fold/Label PO",
    source: Source::BagFoldLabel,
    columns: &[
        Field("PO Name", 0, Text),
        Field("Total items ordered", 1, Integer),
        Field("F/B/L Cost", 2, Money),
        Field("PO Amount", 3, Money),
    ],
    meta: &[],
    subtotals: None,
    chart: None,
};

pub static DECORATORS_PO: TableDef = TableDef {
    name: "Decorators PO",
    source: Source::Decorations,
    columns: &[
        Field("Decorator Name", 0, Text),
        Field("Logo Description", 1, Text),
        Field("Decoration Location", 2, Text),
        Field("Total items ordered", 3, Integer),
        Field("Decoration Cost", 4, Money),
        Field("PO Amount", 5, Money),
    ],
    meta: &[
        Meta::Sum("Total PO amounts", "PO Amount"),
        Meta::SumPlus {
            label: "Total PO amounts with Bag/Fold/Label PO",
            column: "PO Amount",
            table: "Bag/Fold/Label PO",
            other: "PO Amount",
        },
    ],
    subtotals: None,
    chart: Some(Chart::Bars {
        title: "PO amount per decorator",
        group: "Decorator Name",
        fallback: None,
        value: Some("PO Amount"),
    }),
};

const ORDER_TOTALS: Subtotals =
    Subtotals { key: 0, at: "Product Name", label: "Totals", sums: &["Quantity", "Price/Total"] };

pub static ITEMIZED_SHOPPER: TableDef = TableDef {
    name: "Itemized Shopper",
    source: Source::OrderLines,
    columns: &[
        SHOPPER[0],
        SHOPPER[1],
        SHOPPER[2],
        SHOPPER[3],
        Field("Order #", 5, Text),
        Field("Product Name", 9, Text),
        Attributes(10),
        Field("Quantity", 11, Integer),
        Field("Price/Each", 12, Money),
        Field("Price/Total", 13, Money),
    ],
    meta: &[Meta::Sum("Total quantity", "Quantity"), Meta::Sum("Total price", "Price/Total")],
    subtotals: Some(ORDER_TOTALS),
    chart: None,
};

pub static LABEL_REPORT: TableDef = TableDef {
    name: "Label Report",
    source: Source::Labels,
    columns: &[
        Field("Bin Number", 0, Text),
        Field("Item #", 1, Text),
        Field("Vendor", 2, Text),
        Field("Product Name", 3, Text),
        Attributes(4),
        Field("Logo Position", 5, Text),
    ],
    meta: &[],
    subtotals: None,
    chart: None,
};

pub static LOCATION_PO: TableDef = TableDef {
    name: "Location PO",
    source: Source::Locations,
    columns: &[
        Field("Nickname", 0, Text),
        Field("Company Name", 1, Text),
        Field("Street and Number", 2, Text),
        Field("City", 3, Text),
        Field("Zip Code", 4, Text),
        Field("Delivery Contact", 5, Text),
        Field("Suite/Unit", 6, Text),
        Field("Region", 7, Text),
        Field("Country", 8, Text),
        Field("Orders", 9, Integer),
        Field("Items", 10, Integer),
    ],
    meta: &[Meta::Count("Total locations")],
    subtotals: None,
    chart: Some(Chart::Bars { title: "Items per location", group: "Nickname", fallback: None, value: Some("Items") }),
};

pub static PAYROLL_DEDUCTION: TableDef = TableDef {
    name: "Payroll Deduction",
    source: Source::PayrollDeductions,
    columns: &[
        Field("First Name", 0, Text),
        Field("Last Name", 1, Text),
        Field("Email", 2, Text),
        Checkout(3),
        Field("Order #", 4, Text),
        Field("Total Price", 5, Money),
        Field("Allowance", 6, Money),
        Field("Payroll Deduction", 7, Money),
    ],
    meta: &[Meta::Count("Total people"), Meta::Sum("Total payroll deduction", "Payroll Deduction")],
    subtotals: None,
    chart: Some(Chart::Distribution { title: "Payroll deduction distribution", value: "Payroll Deduction" }),
};

pub static PICK_PACK_AND_BAG: TableDef = TableDef {
    name: "Pick, Pack and Bag",
    source: Source::PickPack,
    columns: &[
        Field("First Name", 0, Text),
        Field("Last Name", 1, Text),
        Field("Email", 2, Text),
        Checkout(3),
        Field("Order #", 4, Text),
        Col::PickList { bins: 5, quantities: 6 },
        Field("Totals", 7, Integer),
    ],
    meta: &[Meta::Count("Total orders"), Meta::Sum("Total items", "Totals")],
    subtotals: None,
    chart: None,
};

pub static SALES_EXECUTIVES_SHOPPER: TableDef = TableDef {
    name: "Sales Executives' Shopper",
    source: Source::OrderLines,
    columns: &[
        SHOPPER[0],
        SHOPPER[1],
        SHOPPER[2],
        SHOPPER[3],
        Field("Order #", 5, Text),
        Field("SKU", 6, Text),
        Field("Item #", 7, Text),
        Field("Vendor", 8, Text),
        Field("Product Name", 9, Text),
        Attributes(10),
        Field("Quantity", 11, Integer),
        Field("Price/Each", 12, Money),
        Field("Price/Total", 13, Money),
    ],
    meta: &[Meta::Sum("Total quantity", "Quantity"), Meta::Sum("Total price", "Price/Total")],
    subtotals: Some(ORDER_TOTALS),
    chart: Some(Chart::Bars { title: "Sales per vendor", group: "Vendor", fallback: None, value: Some("Price/Total") }),
};

pub static SHOPPER_SUMMARY: TableDef = TableDef {
    name: "Shopper Summary",
    source: Source::Orders,
    columns: &[
        Field("First Name", 0, Text),
        Field("Last Name", 1, Text),
        Field("Email", 2, Text),
        Checkout(3),
        Field("Order #", 4, Text),
        Field("Date Order Placed", 5, Timestamp),
        Field("Items", 6, Integer),
        Field("Sales", 7, Money),
    ],
    meta: &[Meta::Count("Total orders"), Meta::Sum("Total items", "Items"), Meta::Sum("Total sales", "Sales")],
    subtotals: None,
    chart: Some(Chart::Daily { title: "Sales per day", day: "Date Order Placed", value: "Sales" }),
};

pub static VENDOR_PO: TableDef = TableDef {
    name: "Vendor PO",
    source: Source::VendorItems,
    columns: &[
        Field("Item #", 0, Text),
        Col::Vendor(1),
        Field("Product Name", 2, Text),
        Attributes(3),
        Field("Quantity", 4, Integer),
        Field("Cost", 5, Money),
        Field("Total Cost", 6, Money),
    ],
    meta: &[Meta::Sum("Total quantity", "Quantity"), Meta::Sum("Total cost", "Total Cost")],
    subtotals: None,
    chart: Some(Chart::Bars {
        title: "Items per vendor",
        group: "Vendor",
        fallback: Some("Product Name"),
        value: Some("Quantity"),
    }),
};

pub static BIN: TableDef = TableDef {
    name: "Bin",
    source: Source::Bins,
    columns: &[
        Field("SKU", 0, Text),
        Field("Product Name", 1, Text),
        Attributes(2),
        Field("Logo Position", 3, Text),
        Field("Bin Number", 4, Text),
        Field("Total Ordered in Campaign", 5, Integer),
    ],
    meta: &[],
    subtotals: None,
    chart: None,
};

pub static SALES_PER_CAMPAIGN: TableDef = TableDef {
    name: "Sales per Campaign",
    source: Source::SalesPerCampaign,
    columns: &[
        Field("Campaign", 0, Text),
        Field("Orders", 1, Integer),
        Field("Items", 2, Integer),
        Field("Sales", 3, Money),
    ],
    meta: &[Meta::Sum("Total orders", "Orders"), Meta::Sum("Total items", "Items"), Meta::Sum("Total sales", "Sales")],
    subtotals: None,
    chart: Some(Chart::Bars { title: "Sales per campaign", group: "Campaign", fallback: None, value: Some("Sales") }),
};

pub static SALES_PER_DAY: TableDef = TableDef {
    name: "Sales per Day",
    source: Source::SalesPerDay,
    columns: &[
        Field("Day", 0, Text),
        Field("Orders", 1, Integer),
        Field("Items", 2, Integer),
        Field("Sales", 3, Money),
    ],
    meta: &[Meta::Sum("Total orders", "Orders"), Meta::Sum("Total items", "Items"), Meta::Sum("Total sales", "Sales")],
    subtotals: None,
    chart: Some(Chart::Daily { title: "Sales per day", day: "Day", value: "Sales" }),
};

const fn campaign(
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    tables: &'static [&'static TableDef],
    admin_buyer: bool,
) -> ReportDef {
    ReportDef { slug, name, description, scope: Scope::Campaign, tables, admin_buyer }
}

/// The campaign reports, in the replaced system's order, then the
/// distributor-wide sales report.
pub static CATALOG: [ReportDef; 13] = [
    campaign(
        "campaign-product-list",
        "Campaign Product List",
        "Every item of the campaign with its costs, margin and price.",
        &[&CAMPAIGN_PRODUCT_LIST],
        false,
    ),
    campaign(
        "decorator-po",
        "Decorator PO",
        "What to decorate: the ordered items with their decorations, the bag/fold/label PO and one PO line per decoration.",
        &[&DECORATOR_PO, &BAG_FOLD_LABEL_PO, &DECORATORS_PO],
        false,
    ),
    campaign(
        "itemized-shopper",
        "Itemized Shopper",
        "Every ordered line, order by order, with a subtotal per order.",
        &[&ITEMIZED_SHOPPER],
        true,
    ),
    campaign("label-report", "Label Report", "One label per unit ordered.", &[&LABEL_REPORT], false),
    campaign("location-po", "Location PO", "The delivery locations and what goes to each.", &[&LOCATION_PO], true),
    campaign(
        "payroll-deduction",
        "Payroll Deduction",
        "Per shopper, what their orders cost beyond the company allowance.",
        &[&PAYROLL_DEDUCTION],
        true,
    ),
    campaign(
        "pick-pack-and-bag",
        "Pick, Pack and Bag",
        "Per order, which bins to pick from and how many.",
        &[&PICK_PACK_AND_BAG],
        false,
    ),
    campaign(
        "sales-executives-shopper",
        "Sales Executives' Shopper",
        "Itemized Shopper with SKU, item number and vendor.",
        &[&SALES_EXECUTIVES_SHOPPER],
        false,
    ),
    campaign(
        "shopper-summary",
        "Shopper Summary",
        "One row per order: when, how many items, how much.",
        &[&SHOPPER_SUMMARY],
        true,
    ),
    campaign("vendor-po", "Vendor PO", "What to buy from each vendor, at the vendor's cost.", &[&VENDOR_PO], false),
    campaign("bin", "Bin", "The ordered items by bin.", &[&BIN], false),
    campaign(
        "all",
        "All",
        "Every table of the reports above except Bin.",
        &[
            &CAMPAIGN_PRODUCT_LIST,
            &DECORATOR_PO,
            &BAG_FOLD_LABEL_PO,
            &DECORATORS_PO,
            &ITEMIZED_SHOPPER,
            &LABEL_REPORT,
            &LOCATION_PO,
            &PAYROLL_DEDUCTION,
            &PICK_PACK_AND_BAG,
            &SALES_EXECUTIVES_SHOPPER,
            &SHOPPER_SUMMARY,
            &VENDOR_PO,
        ],
        false,
    ),
    ReportDef {
        slug: "distributor-sales",
        name: "Distributor Sales",
        description: "Sales per campaign and per day over a date range, across the distributor's campaigns.",
        scope: Scope::Distributor,
        tables: &[&SALES_PER_CAMPAIGN, &SALES_PER_DAY],
        admin_buyer: false,
    },
];

/// The report named `slug`.
pub fn find(slug: &str) -> Option<&'static ReportDef> {
    CATALOG.iter().find(|r| r.slug == slug)
}
