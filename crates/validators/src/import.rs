//! CSV import rows: per-row, per-column errors.
//!
//! The catalog import reads a CSV file (one row per variant, rows with the
//! same item number forming one product) and upserts it. This module is the
//! pure part:
//!
//! - [`CsvSplitter`] turns the body, fed chunk by chunk as it arrives, into
//!   records, so a large file is never held whole (it wraps `csv-core`'s push
//!   parser and strips a UTF-8 byte order mark);
//! - [`Import`] checks each record against the distributor's catalog (a
//!   [`Dictionary`] read once before the body) and keeps only the compact,
//!   resolved form of the good rows ([`ImportProduct`], [`ImportVariant`]),
//!   collecting every problem as a [`RowIssue`] instead of stopping at the
//!   first, so one dry run lists everything to fix.
//!
//! Rows are numbered as a spreadsheet shows them: the header is row 1, the
//! first data row row 2. A quoted field spanning several lines is still one
//! row; blank lines are skipped but keep their numbers out of the count
//! (the number is the record's, not the line's).

use crate::campaign::text;
use crate::money::money;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The columns every file may have besides one per attribute. `description`
/// and `variant_description` may be left out (existing descriptions are then
/// kept); the others are required.
pub const FIXED_COLUMNS: [&str; 7] =
    ["item_number", "name", "product_type", "description", "supplier", "vendor_cost", "variant_description"];

/// The longest item number, product name and description (the database's
/// limits, checked here so they are row errors rather than a refused write).
pub const MAX_ITEM_NUMBER_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// How many issues a report lists; the rest are only counted, so a file that
/// is wrong on every row still gets a small answer.
pub const MAX_LISTED_ISSUES: usize = 1000;

/// One problem in the file: its row (the header is row 1), the column by its
/// header name (none when it concerns the whole row), a stable code and a
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub row: u64,
    pub column: Option<String>,
    pub code: &'static str,
    pub message: String,
}

impl RowIssue {
    pub fn new(row: u64, column: Option<&str>, code: &'static str, message: impl Into<String>) -> RowIssue {
        RowIssue { row, column: column.map(str::to_owned), code, message: message.into() }
    }
}

/// Why reading stopped before the end of the file: the API answers these at
/// once (400, 413) instead of listing them with the row issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A field is not valid UTF-8.
    NotUtf8 { row: u64, column: Option<String> },
    /// More data rows than the configured limit.
    TooManyRows { limit: usize },
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::NotUtf8 { row, column: Some(c) } => {
                write!(f, "row {row}, column {c}: the file must be UTF-8 text (with or without a byte order mark)")
            }
            Stop::NotUtf8 { row, column: None } => {
                write!(f, "row {row}: the file must be UTF-8 text (with or without a byte order mark)")
            }
            Stop::TooManyRows { limit } => {
                write!(f, "the file has more than {limit} data rows; split it into several imports")
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Splitting the body into records.

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An incremental CSV reader: feed it the body in chunks of any size, and it
/// calls back once per complete record with the record's number (1-based)
/// and its fields. RFC 4180 quoting: fields in double quotes may hold commas,
/// newlines and doubled quotes. A leading UTF-8 byte order mark is dropped.
pub struct CsvSplitter {
    reader: csv_core::Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The first bytes while it is not yet known whether they are a BOM.
    head: Option<Vec<u8>>,
    records: u64,
}

impl Default for CsvSplitter {
    fn default() -> Self {
        CsvSplitter {
            reader: csv_core::Reader::new(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            head: Some(Vec::with_capacity(BOM.len())),
            records: 0,
        }
    }
}

impl CsvSplitter {
    pub fn new() -> CsvSplitter {
        CsvSplitter::default()
    }

    /// Parses `chunk`, calling `each(record number, fields)` for every record
    /// it completes; the first error `each` returns stops parsing.
    pub fn feed<E>(&mut self, chunk: &[u8], each: &mut impl FnMut(u64, &[&[u8]]) -> Result<(), E>) -> Result<(), E> {
        if let Some(mut head) = self.head.take() {
            // Only the very first bytes are copied, until three are seen.
            let take = (BOM.len() - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() < BOM.len() {
                self.head = Some(head);
                return Ok(());
            }
            let start = if head == BOM { BOM.len() } else { 0 };
            self.parse(&head[start..], each)?;
            return self.parse(&chunk[take..], each);
        }
        self.parse(chunk, each)
    }

    /// Ends the input: the last record, if it had no line break, is
    /// completed.
    pub fn finish<E>(&mut self, each: &mut impl FnMut(u64, &[&[u8]]) -> Result<(), E>) -> Result<(), E> {
        if let Some(head) = self.head.take() {
            // Fewer than three bytes in all: they cannot be a whole BOM, but
            // they may be its start, which is no text either way.
            let start = if BOM.starts_with(&head) { head.len() } else { 0 };
            self.parse(&head[start..], each)?;
        }
        loop {
            // An empty input tells csv-core the data has ended.
            if self.step(&[], each)?.1 {
                return Ok(());
            }
        }
    }

    fn parse<E>(&mut self, mut input: &[u8], each: &mut impl FnMut(u64, &[&[u8]]) -> Result<(), E>) -> Result<(), E> {
        // Never call csv-core with an empty slice here: that means "end".
        while !input.is_empty() {
            let (consumed, _) = self.step(input, each)?;
            input = &input[consumed..];
        }
        Ok(())
    }

    /// One call of the push parser: how much input it used, and whether the
    /// data has ended.
    fn step<E>(
        &mut self,
        input: &[u8],
        each: &mut impl FnMut(u64, &[&[u8]]) -> Result<(), E>,
    ) -> Result<(usize, bool), E> {
        use csv_core::ReadRecordResult as R;
        let (result, nin, nout, nend) =
            self.reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
        self.out_len += nout;
        self.ends_len += nend;
        match result {
            R::InputEmpty => Ok((nin, false)),
            R::OutputFull => {
                let len = self.out.len();
                self.out.resize(len * 2, 0);
                Ok((nin, false))
            }
            R::OutputEndsFull => {
                let len = self.ends.len();
                self.ends.resize(len * 2, 0);
                Ok((nin, false))
            }
            R::Record => {
                self.records += 1;
                let mut fields = Vec::with_capacity(self.ends_len);
                let mut start = 0;
                for &end in &self.ends[..self.ends_len] {
                    fields.push(&self.out[start..end]);
                    start = end;
                }
                let outcome = each(self.records, &fields);
                self.out_len = 0;
                self.ends_len = 0;
                outcome.map(|()| (nin, false))
            }
            R::End => Ok((nin, true)),
        }
    }
}

// ---------------------------------------------------------------------------
// The catalog the rows are matched against.

/// A product type and its attributes in order (the order of a sku's values).
#[derive(Debug, Clone)]
pub struct DictType {
    pub id: i64,
    pub name: String,
    pub attribute_ids: Vec<i64>,
}

/// An attribute and its values.
#[derive(Debug, Clone)]
pub struct DictAttribute {
    pub id: i64,
    pub name: String,
    /// (value id, value name).
    pub values: Vec<(i64, String)>,
}

/// A vendor, with what decides whether it may supply a variant.
#[derive(Debug, Clone)]
pub struct DictVendor {
    pub id: i64,
    pub name: String,
    pub is_supplier: bool,
    pub is_active: bool,
}

/// One distributor's product types, attributes with their values and
/// vendors: everything a row names. Names match case-insensitively, as the
/// database's unique indexes on `lower(name)` do.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    pub product_types: Vec<DictType>,
    pub attributes: Vec<DictAttribute>,
    pub vendors: Vec<DictVendor>,
}

/// The dictionary indexed by lower-cased name.
struct Lookup<'d> {
    types: HashMap<String, &'d DictType>,
    attributes: HashMap<i64, (&'d DictAttribute, HashMap<String, i64>)>,
    attribute_names: HashMap<String, &'d DictAttribute>,
    vendors: HashMap<String, &'d DictVendor>,
}

impl<'d> Lookup<'d> {
    fn new(d: &'d Dictionary) -> Lookup<'d> {
        Lookup {
            types: d.product_types.iter().map(|t| (t.name.to_lowercase(), t)).collect(),
            attributes: d
                .attributes
                .iter()
                .map(|a| (a.id, (a, a.values.iter().map(|(id, name)| (name.to_lowercase(), *id)).collect())))
                .collect(),
            attribute_names: d.attributes.iter().map(|a| (a.name.to_lowercase(), a)).collect(),
            vendors: d.vendors.iter().map(|v| (v.name.to_lowercase(), v)).collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// The header.

/// Where each column is.
#[derive(Debug)]
struct Columns {
    /// The header as written (trimmed), for messages.
    names: Vec<String>,
    item_number: usize,
    name: usize,
    product_type: usize,
    supplier: usize,
    vendor_cost: usize,
    description: Option<usize>,
    variant_description: Option<usize>,
    /// Attribute id → column.
    attributes: HashMap<i64, usize>,
}

/// Reads the header. Unknown, empty and repeated column names are issues;
/// `None` when a required column is missing (then no row can be checked).
fn header(fields: &[&str], dict: &Lookup<'_>, issues: &mut Vec<RowIssue>) -> Option<Columns> {
    let names: Vec<String> = fields.iter().map(|f| f.trim().to_owned()).collect();
    let mut fixed: HashMap<&'static str, usize> = HashMap::new();
    let mut attributes = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let key = name.to_lowercase();
        if key.is_empty() {
            issues.push(RowIssue::new(1, None, "empty_column", format!("column {} has no name", i + 1)));
            continue;
        }
        if let Some(first) = seen.insert(key.clone(), i) {
            issues.push(RowIssue::new(
                1,
                Some(name),
                "duplicate_column",
                format!("column {name} appears twice (columns {} and {})", first + 1, i + 1),
            ));
            continue;
        }
        if let Some(f) = FIXED_COLUMNS.iter().find(|f| **f == key) {
            fixed.insert(*f, i);
        } else if let Some(a) = dict.attribute_names.get(&key) {
            attributes.insert(a.id, i);
        } else {
            let mut known: Vec<&str> = dict.attribute_names.values().map(|a| a.name.as_str()).collect();
            known.sort_unstable();
            let attrs = if known.is_empty() { "none yet".to_owned() } else { known.join(", ") };
            issues.push(RowIssue::new(
                1,
                Some(name),
                "unknown_column",
                format!("unknown column {name}: expected {} or an attribute name ({attrs})", FIXED_COLUMNS.join(", ")),
            ));
        }
    }
    let required = ["item_number", "name", "product_type", "supplier", "vendor_cost"];
    let missing: Vec<&str> = required.iter().copied().filter(|c| !fixed.contains_key(c)).collect();
    for c in &missing {
        issues.push(RowIssue::new(1, None, "missing_column", format!("the header has no {c} column")));
    }
    if !missing.is_empty() {
        return None;
    }
    let col = |c: &str| fixed.get(c).copied().unwrap_or_default();
    Some(Columns {
        item_number: col("item_number"),
        name: col("name"),
        product_type: col("product_type"),
        supplier: col("supplier"),
        vendor_cost: col("vendor_cost"),
        description: fixed.get("description").copied(),
        variant_description: fixed.get("variant_description").copied(),
        attributes,
        names,
    })
}

// ---------------------------------------------------------------------------
// Rows.

/// A product as the file gives it (its first row's values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProduct {
    /// The first row naming this item number.
    pub row: u64,
    pub item_number: String,
    pub name: String,
    pub product_type_id: i64,
    /// `None` when the file has no description column: keep what is stored.
    pub description: Option<String>,
}

/// A variant from one good row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportVariant {
    pub row: u64,
    /// Index into [`Parsed::products`].
    pub product: usize,
    pub supplier_id: i64,
    pub vendor_cost: Decimal,
    /// `None` when the file has no variant_description column.
    pub description: Option<String>,
    /// One value per attribute of the type, sorted by id (the stored key).
    pub value_ids: Vec<i64>,
}

/// What a whole file came to.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    /// The products of the rows whose product columns are good.
    pub products: Vec<ImportProduct>,
    /// The variants of the rows without any issue.
    pub variants: Vec<ImportVariant>,
    /// The first [`MAX_LISTED_ISSUES`] issues, in row order.
    pub issues: Vec<RowIssue>,
    /// Every issue, listed or not.
    pub issue_count: u64,
}

/// What the first row of an item number said, to hold later rows to it.
struct Seen {
    row: u64,
    name: String,
    /// Lower-cased, so `t-shirt` and `T-Shirt` agree as the lookup does.
    product_type: String,
    description: Option<String>,
    /// Index into `products` once the product columns proved good.
    product: Option<usize>,
}

/// The import in progress: feed it records with [`Import::record`], then
/// [`Import::finish`].
pub struct Import<'d> {
    dict: Lookup<'d>,
    max_rows: usize,
    columns: Option<Columns>,
    header_read: bool,
    parsed: Parsed,
    by_item: HashMap<String, Seen>,
    combinations: HashMap<(usize, Vec<i64>), u64>,
}

impl<'d> Import<'d> {
    /// An import against `dict` that stops after `max_rows` data rows.
    pub fn new(dict: &'d Dictionary, max_rows: usize) -> Import<'d> {
        Import {
            dict: Lookup::new(dict),
            max_rows,
            columns: None,
            header_read: false,
            parsed: Parsed::default(),
            by_item: HashMap::new(),
            combinations: HashMap::new(),
        }
    }

    fn issue(&mut self, issue: RowIssue) {
        self.parsed.issue_count += 1;
        if self.parsed.issues.len() < MAX_LISTED_ISSUES {
            self.parsed.issues.push(issue);
        }
    }

    fn column_name(&self, i: usize) -> Option<String> {
        self.columns.as_ref().and_then(|c| c.names.get(i).cloned())
    }

    /// Takes record `number` (the header is 1). Stops on text that is not
    /// UTF-8 and past the row limit; every other problem becomes an issue.
    pub fn record(&mut self, number: u64, raw: &[&[u8]]) -> Result<(), Stop> {
        let mut fields = Vec::with_capacity(raw.len());
        for (i, f) in raw.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s),
                Err(_) => return Err(Stop::NotUtf8 { row: number, column: self.column_name(i) }),
            }
        }
        if !self.header_read {
            self.header_read = true;
            let mut issues = Vec::new();
            self.columns = header(&fields, &self.dict, &mut issues);
            for i in issues {
                self.issue(i);
            }
            return Ok(());
        }
        // Spreadsheets often end a file with rows of empty cells.
        if fields.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        self.parsed.rows += 1;
        if self.parsed.rows > self.max_rows as u64 {
            return Err(Stop::TooManyRows { limit: self.max_rows });
        }
        if self.columns.is_some() {
            self.row(number, &fields);
        }
        Ok(())
    }

    /// Checks one data row and keeps its compact form when it is good.
    fn row(&mut self, row: u64, fields: &[&str]) {
        let Some(c) = self.columns.as_ref() else { return };
        if fields.len() != c.names.len() {
            let (got, want) = (fields.len(), c.names.len());
            self.issue(RowIssue::new(
                row,
                None,
                "field_count",
                format!("the row has {got} values but the header has {want} columns"),
            ));
            return;
        }
        let mut issues = Vec::new();
        let at = |i: usize| fields[i].trim();
        let name_of = |i: usize| c.names[i].as_str();
        let check_text = |i: usize, value: &str, min: usize, max: usize, issues: &mut Vec<RowIssue>| {
            let mut found = Vec::new();
            text(&mut found, name_of(i), value, min, max);
            issues.extend(found.into_iter().map(|f| RowIssue {
                row,
                column: Some(name_of(i).to_owned()),
                code: code_of(&f.code),
                message: f.message,
            }));
        };

        let item_number = at(c.item_number);
        check_text(c.item_number, item_number, 1, MAX_ITEM_NUMBER_CHARS, &mut issues);
        let name = at(c.name);
        check_text(c.name, name, 1, MAX_NAME_CHARS, &mut issues);
        let description = c.description.map(|i| fields[i]);
        if let (Some(i), Some(d)) = (c.description, description) {
            check_text(i, d, 0, MAX_DESCRIPTION_CHARS, &mut issues);
        }
        let variant_description = c.variant_description.map(|i| fields[i]);
        if let (Some(i), Some(d)) = (c.variant_description, variant_description) {
            check_text(i, d, 0, MAX_DESCRIPTION_CHARS, &mut issues);
        }

        // The product type, and with it which attribute columns must be filled.
        let type_text = at(c.product_type);
        let product_type = if type_text.is_empty() {
            issues.push(RowIssue::new(row, Some(name_of(c.product_type)), "required", "must not be empty"));
            None
        } else {
            let found = self.dict.types.get(&type_text.to_lowercase()).copied();
            if found.is_none() {
                issues.push(RowIssue::new(
                    row,
                    Some(name_of(c.product_type)),
                    "not_found",
                    format!("no product type \"{type_text}\"; create it first"),
                ));
            }
            found
        };

        let supplier_text = at(c.supplier);
        let supplier = match self.dict.vendors.get(&supplier_text.to_lowercase()) {
            _ if supplier_text.is_empty() => {
                issues.push(RowIssue::new(row, Some(name_of(c.supplier)), "required", "must not be empty"));
                None
            }
            None => {
                issues.push(RowIssue::new(
                    row,
                    Some(name_of(c.supplier)),
                    "not_found",
                    format!("no vendor \"{supplier_text}\""),
                ));
                None
            }
            Some(v) if !v.is_supplier => {
                issues.push(RowIssue::new(
                    row,
                    Some(name_of(c.supplier)),
                    "not_supplier",
                    format!("vendor \"{}\" is not a supplier", v.name),
                ));
                None
            }
            Some(v) if !v.is_active => {
                issues.push(RowIssue::new(
                    row,
                    Some(name_of(c.supplier)),
                    "inactive",
                    format!("vendor \"{}\" is not active", v.name),
                ));
                None
            }
            Some(v) => Some(v.id),
        };

        let cost_text = at(c.vendor_cost);
        let vendor_cost = if cost_text.is_empty() {
            issues.push(RowIssue::new(row, Some(name_of(c.vendor_cost)), "required", "must not be empty"));
            None
        } else {
            match Decimal::from_str_exact(cost_text) {
                Err(_) => {
                    issues.push(RowIssue::new(
                        row,
                        Some(name_of(c.vendor_cost)),
                        "invalid",
                        format!("\"{cost_text}\" is not a decimal amount such as 12.50"),
                    ));
                    None
                }
                Ok(amount) => match money(name_of(c.vendor_cost), amount) {
                    Some(f) => {
                        issues.push(RowIssue {
                            row,
                            column: Some(name_of(c.vendor_cost).to_owned()),
                            code: code_of(&f.code),
                            message: f.message,
                        });
                        None
                    }
                    None => Some(amount),
                },
            }
        };

        // Attribute values: one for each attribute of the type, none for others.
        let mut value_ids = Vec::new();
        let mut values_ok = product_type.is_some();
        if let Some(t) = product_type {
            for attribute_id in &t.attribute_ids {
                let Some((attribute, values)) = self.dict.attributes.get(attribute_id) else {
                    values_ok = false;
                    continue;
                };
                let Some(&i) = c.attributes.get(attribute_id) else {
                    values_ok = false;
                    issues.push(RowIssue::new(
                        row,
                        Some(&attribute.name),
                        "missing_column",
                        format!(
                            "product type \"{}\" needs a value for {}, but the file has no {} column",
                            t.name, attribute.name, attribute.name
                        ),
                    ));
                    continue;
                };
                let value = at(i);
                if value.is_empty() {
                    values_ok = false;
                    issues.push(RowIssue::new(
                        row,
                        Some(name_of(i)),
                        "required",
                        format!("product type \"{}\" needs a value for {}", t.name, attribute.name),
                    ));
                } else if let Some(&id) = values.get(&value.to_lowercase()) {
                    value_ids.push(id);
                } else {
                    values_ok = false;
                    issues.push(RowIssue::new(
                        row,
                        Some(name_of(i)),
                        "not_found",
                        format!("no value \"{value}\" for {}; add it first", attribute.name),
                    ));
                }
            }
            let mut extra: Vec<(usize, &str)> = c
                .attributes
                .iter()
                .filter(|(id, _)| !t.attribute_ids.contains(id))
                .map(|(_, &i)| (i, at(i)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            extra.sort_unstable();
            for (i, _) in extra {
                values_ok = false;
                issues.push(RowIssue::new(
                    row,
                    Some(name_of(i)),
                    "not_in_type",
                    format!("product type \"{}\" has no attribute {}; leave it empty", t.name, name_of(i)),
                ));
            }
        }

        // Rows of one item number are one product: they must agree on it.
        let key = item_number.to_lowercase();
        let mut product = None;
        if !item_number.is_empty() {
            match self.by_item.get(&key) {
                Some(first) => {
                    let mut differs = |column: usize, same: bool, what: &str| {
                        if !same {
                            issues.push(RowIssue::new(
                                row,
                                Some(name_of(column)),
                                "inconsistent",
                                format!(
                                    "the {what} differs from row {} for item number {item_number}; \
                                     every row of a product must give the same {what}",
                                    first.row
                                ),
                            ));
                        }
                    };
                    differs(c.name, first.name == name, "name");
                    differs(c.product_type, first.product_type == type_text.to_lowercase(), "product type");
                    if let Some(i) = c.description {
                        differs(i, first.description.as_deref() == description, "description");
                    }
                    product = first.product;
                }
                None => {
                    let product_ok = issues.iter().all(|i| {
                        let col = i.column.as_deref();
                        ![Some(name_of(c.item_number)), Some(name_of(c.name)), Some(name_of(c.product_type))]
                            .contains(&col)
                            && c.description.is_none_or(|d| col != Some(name_of(d)))
                    });
                    let index = match product_type {
                        Some(t) if product_ok => {
                            self.parsed.products.push(ImportProduct {
                                row,
                                item_number: item_number.to_owned(),
                                name: name.to_owned(),
                                product_type_id: t.id,
                                description: description.map(str::to_owned),
                            });
                            Some(self.parsed.products.len() - 1)
                        }
                        _ => None,
                    };
                    self.by_item.insert(
                        key,
                        Seen {
                            row,
                            name: name.to_owned(),
                            product_type: type_text.to_lowercase(),
                            description: description.map(str::to_owned),
                            product: index,
                        },
                    );
                    product = index;
                }
            }
        }

        // A combination of values appears once per product.
        value_ids.sort_unstable();
        if let (Some(p), true) = (product, values_ok) {
            if let Some(first) = self.combinations.get(&(p, value_ids.clone())) {
                issues.push(RowIssue::new(
                    row,
                    None,
                    "duplicate",
                    format!("row {first} already has item number {item_number} with the same attribute values"),
                ));
            } else {
                self.combinations.insert((p, value_ids.clone()), row);
            }
        }

        match (issues.is_empty(), product, supplier, vendor_cost) {
            (true, Some(product), Some(supplier_id), Some(vendor_cost)) => {
                self.parsed.variants.push(ImportVariant {
                    row,
                    product,
                    supplier_id,
                    vendor_cost,
                    description: variant_description.map(str::to_owned),
                    value_ids,
                });
            }
            _ => {
                for i in issues {
                    self.issue(i);
                }
            }
        }
    }

    /// The file's result. A file without even a header is one issue.
    pub fn finish(mut self) -> Parsed {
        if !self.header_read {
            self.issue(RowIssue::new(1, None, "empty", "the file is empty; it needs a header row and data rows"));
        } else if self.parsed.rows == 0 && self.parsed.issue_count == 0 {
            self.issue(RowIssue::new(2, None, "empty", "the file has a header but no data rows"));
        }
        self.parsed
    }
}

/// The validators' codes are `String`s; these are the ones `text` and
/// `money` produce, as `'static` codes.
fn code_of(code: &str) -> &'static str {
    match code {
        "required" => "required",
        "too_short" => "too_short",
        "too_long" => "too_long",
        "invalid_character" => "invalid_character",
        "negative" => "negative",
        "precision" => "precision",
        "too_large" => "too_large",
        _ => "invalid",
    }
}

/// Merges issues found later (against the database) into a parsed file's,
/// keeping row order and the listing cap.
pub fn merge(parsed: &mut Parsed, more: Vec<RowIssue>) {
    parsed.issue_count += more.len() as u64;
    parsed.issues.extend(more);
    parsed.issues.sort_by_key(|i| i.row);
    parsed.issues.truncate(MAX_LISTED_ISSUES);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Dictionary {
        Dictionary {
            product_types: vec![
                DictType { id: 1, name: "T-Shirt".into(), attribute_ids: vec![10, 20] },
                DictType { id: 2, name: "Mug".into(), attribute_ids: vec![] },
            ],
            attributes: vec![
                DictAttribute { id: 10, name: "Color".into(), values: vec![(11, "Red".into()), (12, "Blue".into())] },
                DictAttribute {
                    id: 20,
                    name: "Size".into(),
                    values: vec![(21, "S".into()), (22, "M".into()), (23, "L".into())],
                },
            ],
            vendors: vec![
                DictVendor { id: 100, name: "SanMar".into(), is_supplier: true, is_active: true },
                DictVendor { id: 101, name: "PrintCo".into(), is_supplier: false, is_active: true },
                DictVendor { id: 102, name: "Gone".into(), is_supplier: true, is_active: false },
            ],
        }
    }

    fn run(csv: &[u8], chunk: usize) -> Result<Parsed, Stop> {
        let d = dict();
        let mut import = Import::new(&d, 100);
        let mut splitter = CsvSplitter::new();
        let mut each = |n: u64, f: &[&[u8]]| import.record(n, f);
        for part in csv.chunks(chunk.max(1)) {
            splitter.feed(part, &mut each)?;
        }
        splitter.finish(&mut each)?;
        Ok(import.finish())
    }

    fn issues(p: &Parsed) -> Vec<(u64, Option<&str>, &str)> {
        p.issues.iter().map(|i| (i.row, i.column.as_deref(), i.code)).collect()
    }

    const GOOD: &str = "\u{feff}Item_Number,name,product_type,description,supplier,vendor_cost,Color,size\n\
        TS-1,Tee,T-Shirt,\"Soft, cotton\nand warm\",SanMar,4.10,Red,S\n\
        TS-1,Tee,t-shirt,\"Soft, cotton\nand warm\",sanmar,4.1,Blue,M\r\n\
        MUG-1,Mug,Mug,,SanMar,2,,\n";

    #[test]
    fn splits_records_whatever_the_chunk_size() {
        for chunk in [1, 2, 3, 5, 7, 64, 4096] {
            let p = run(GOOD.as_bytes(), chunk).unwrap();
            assert_eq!(issues(&p), [], "chunk {chunk}");
            assert_eq!(p.rows, 3);
            assert_eq!(p.products.len(), 2);
            assert_eq!(p.products[0].description.as_deref(), Some("Soft, cotton\nand warm"));
            assert_eq!(p.products[0].row, 2);
            assert_eq!(p.variants.len(), 3);
            assert_eq!(p.variants[1].value_ids, [12, 22]);
            assert_eq!(p.variants[1].vendor_cost, Decimal::new(41, 1));
            assert_eq!(p.variants[2].value_ids, Vec::<i64>::new());
            assert_eq!(p.variants[2].description, None);
            assert_eq!(p.variants[2].row, 4, "the quoted newline does not add a row");
        }
    }

    #[test]
    fn a_tiny_file_keeps_what_is_not_a_bom() {
        let mut seen = Vec::new();
        let mut s = CsvSplitter::new();
        let mut each = |_: u64, f: &[&[u8]]| -> Result<(), ()> {
            seen.push(f.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
            Ok(())
        };
        s.feed(b"ab", &mut each).unwrap();
        s.finish(&mut each).unwrap();
        assert_eq!(seen, [vec![b"ab".to_vec()]]);
    }

    #[test]
    fn every_mistake_is_listed_with_row_and_column() {
        let csv = "item_number,name,product_type,supplier,vendor_cost,Color,Size,Weight\n\
            TS-1,Tee,T-Shirt,SanMar,4.10,Red,XXXL,\n\
            TS-1,Other,T-Shirt,PrintCo,4.123,Blue,S,\n\
            MUG-1,Mug,Cup,Gone,-1,,,\n\
            TS-1,Tee,T-Shirt,SanMar,1,Red,S,\n\
            TS-1,Tee,T-Shirt,SanMar,1,Red,S,\n\
            MUG-2,Mug,Mug,SanMar,abc,Red,,\n\
            short,row\n";
        let p = run(csv.as_bytes(), 10).unwrap();
        assert_eq!(
            issues(&p),
            [
                (1, Some("Weight"), "unknown_column"),
                (2, Some("Size"), "not_found"),
                (3, Some("supplier"), "not_supplier"),
                (3, Some("vendor_cost"), "precision"),
                (3, Some("name"), "inconsistent"),
                (4, Some("product_type"), "not_found"),
                (4, Some("supplier"), "inactive"),
                (4, Some("vendor_cost"), "negative"),
                (6, None, "duplicate"),
                (7, Some("vendor_cost"), "invalid"),
                (7, Some("Color"), "not_in_type"),
                (8, None, "field_count"),
            ]
        );
        assert_eq!(p.issues[1].message, "no value \"XXXL\" for Size; add it first");
        assert_eq!(p.variants.iter().map(|v| v.row).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn a_missing_attribute_column_is_named_on_each_row_needing_it() {
        let csv = "item_number,name,product_type,supplier,vendor_cost,Color\nTS-1,Tee,T-Shirt,SanMar,1,Red\n";
        let p = run(csv.as_bytes(), 4096).unwrap();
        assert_eq!(issues(&p), [(2, Some("Size"), "missing_column")]);
    }

    #[test]
    fn a_missing_required_column_stops_row_checks() {
        let p = run(b"item_number,name,supplier\nA,B,SanMar\n", 4096).unwrap();
        assert_eq!(issues(&p), [(1, None, "missing_column"), (1, None, "missing_column")]);
        assert_eq!(p.rows, 1);
    }

    #[test]
    fn bad_utf8_and_too_many_rows_stop_reading() {
        let csv = b"item_number,name,product_type,supplier,vendor_cost\nA,B\xff,Mug,SanMar,1\n";
        assert_eq!(run(csv, 4096).unwrap_err(), Stop::NotUtf8 { row: 2, column: Some("name".into()) });
        let d = dict();
        let mut import = Import::new(&d, 1);
        import.record(1, &[b"item_number"]).unwrap();
        import.record(2, &[b"A"]).unwrap();
        assert_eq!(import.record(3, &[b"B"]), Err(Stop::TooManyRows { limit: 1 }));
    }

    #[test]
    fn empty_files_and_blank_rows() {
        assert_eq!(issues(&run(b"", 4096).unwrap()), [(1, None, "empty")]);
        assert_eq!(issues(&run(b"\xEF\xBB\xBF", 4096).unwrap()), [(1, None, "empty")]);
        let p = run(b"item_number,name,product_type,supplier,vendor_cost\n,,,,\n\n", 4096).unwrap();
        assert_eq!(issues(&p), [(2, None, "empty")]);
    }

    #[test]
    fn the_listing_is_capped_but_counted() {
        let mut csv = String::from("item_number,name,product_type,supplier,vendor_cost\n");
        for i in 0..(MAX_LISTED_ISSUES + 5) {
            csv.push_str(&format!("I{i},N,Mug,SanMar,x\n"));
        }
        let d = dict();
        let mut import = Import::new(&d, 10_000);
        let mut s = CsvSplitter::new();
        let mut each = |n: u64, f: &[&[u8]]| import.record(n, f);
        s.feed(csv.as_bytes(), &mut each).unwrap();
        s.finish(&mut each).unwrap();
        let p = import.finish();
        assert_eq!(p.issues.len(), MAX_LISTED_ISSUES);
        assert_eq!(p.issue_count, MAX_LISTED_ISSUES as u64 + 5);
    }
}
