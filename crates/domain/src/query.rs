//! The checked form of a read request: which fields and relations to return
//! (a [`Selection`]), which rows ([`Filter`]), in what order ([`Sort`]) and
//! which page ([`Page`]).
//!
//! The validators crate builds these from client text, checking every name
//! against the [resource descriptors](crate::resource) and the caller's role;
//! storage compiles them to SQL. Holding `&'static` descriptor references (not
//! names) means a value of these types is valid by construction.

use crate::resource::{Field, Relation, Resource};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::fmt;

/// Limits shared by the parser and the documentation.
pub mod limits {
    /// How deep relations may nest in a mask (`distributor{accounts{distributor}}` is 3).
    pub const MAX_MASK_DEPTH: usize = 3;
    /// How many names a mask may hold in all.
    pub const MAX_MASK_ITEMS: usize = 200;
    /// The longest mask text accepted.
    pub const MAX_MASK_BYTES: usize = 4096;
    /// The longest `filter` JSON accepted.
    pub const MAX_FILTER_BYTES: usize = 4096;
    /// How deep `and`/`or`/`not` groups may nest.
    pub const MAX_FILTER_DEPTH: usize = 8;
    /// The most values an `in`/`not_in` list may hold.
    pub const MAX_IN_VALUES: usize = 500;
    /// The most sort keys.
    pub const MAX_SORT_KEYS: usize = 8;
    pub const DEFAULT_PAGE_SIZE: u32 = 50;
    pub const MAX_PAGE_SIZE: u32 = 500;
    /// How many children a to-many relation embeds per parent row.
    pub const MAX_EMBEDDED_CHILDREN: i64 = 100;
}

/// What to return of a resource: fields and, recursively, relations.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub resource: &'static Resource,
    /// In descriptor order, without repeats.
    pub fields: Vec<&'static Field>,
    /// In descriptor order, without repeats.
    pub relations: Vec<(&'static Relation, Selection)>,
}

impl Selection {
    /// Whether a field is selected at this level.
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }

    /// The selection in one canonical text (`id,name,distributor{id,name}`):
    /// equal for every mask that selects the same, so it names one
    /// representation (ETags are per representation).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut String) {
        let mut first = true;
        for f in &self.fields {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(f.name);
        }
        for (r, sub) in &self.relations {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(r.name);
            out.push('{');
            sub.write_canonical(out);
            out.push('}');
        }
    }
}

/// A filter operator (sqlalchemy-filters names; the symbolic ones are aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Like,
    Ilike,
    NotIlike,
    In,
    NotIn,
    IsNull,
    IsNotNull,
    Any,
    NotAny,
}

impl Op {
    /// Every spelling a client may use, with its operator.
    pub const SPELLINGS: &'static [(&'static str, Op)] = &[
        ("==", Op::Eq),
        ("eq", Op::Eq),
        ("!=", Op::Ne),
        ("ne", Op::Ne),
        (">", Op::Gt),
        ("gt", Op::Gt),
        ("<", Op::Lt),
        ("lt", Op::Lt),
        (">=", Op::Ge),
        ("ge", Op::Ge),
        ("<=", Op::Le),
        ("le", Op::Le),
        ("like", Op::Like),
        ("ilike", Op::Ilike),
        ("not_ilike", Op::NotIlike),
        ("in", Op::In),
        ("not_in", Op::NotIn),
        ("is_null", Op::IsNull),
        ("is_not_null", Op::IsNotNull),
        ("any", Op::Any),
        ("not_any", Op::NotAny),
    ];

    pub fn parse(s: &str) -> Option<Op> {
        Op::SPELLINGS.iter().find(|(n, _)| *n == s).map(|(_, op)| *op)
    }

    /// The canonical (word) name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Lt => "lt",
            Op::Ge => "ge",
            Op::Le => "le",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::NotIlike => "not_ilike",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::IsNull => "is_null",
            Op::IsNotNull => "is_not_null",
            Op::Any => "any",
            Op::NotAny => "not_any",
        }
    }
}

/// A typed value, already checked against its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Int(i64),
    Text(String),
    Bool(bool),
    Money(Decimal),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::Text(v) => write!(f, "{v:?}"),
            Scalar::Bool(v) => write!(f, "{v}"),
            Scalar::Money(v) => write!(f, "{v}"),
            Scalar::Date(v) => write!(f, "{v}"),
            Scalar::DateTime(v) => write!(f, "{}", v.to_rfc3339()),
        }
    }
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `is_null`, `is_not_null`.
    None,
    One(Scalar),
    /// `in`, `not_in`.
    List(Vec<Scalar>),
}

/// One comparison, optionally through a relation (`{"model": "Distributor", ...}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `None`: a field of the listed resource itself.
    pub via: Option<&'static Relation>,
    pub field: &'static Field,
    /// For a JSON field filtered by key (an order's checkout values): the
    /// key whose text value is compared.
    pub key: Option<String>,
    pub op: Op,
    pub operand: Operand,
}

/// A filter tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    /// Not all of them: `NOT (a AND b ...)`, as sqlalchemy-filters reads it.
    Not(Vec<Filter>),
    Cond(Condition),
}

impl fmt::Display for Filter {
    /// A canonical text, used to bind a keyset cursor to the filter it was issued for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |f: &mut fmt::Formatter<'_>, name: &str, items: &[Filter]| {
            write!(f, "{name}(")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(")")
        };
        match self {
            Filter::And(items) => group(f, "and", items),
            Filter::Or(items) => group(f, "or", items),
            Filter::Not(items) => group(f, "not", items),
            Filter::Cond(c) => {
                if let Some(rel) = c.via {
                    write!(f, "{}.", rel.name)?;
                }
                write!(f, "{}", c.field.name)?;
                if let Some(key) = &c.key {
                    // Debug quoting: a key with spaces or dots stays one key.
                    write!(f, "[{key:?}]")?;
                }
                write!(f, " {}", c.op.name())?;
                match &c.operand {
                    Operand::None => Ok(()),
                    Operand::One(v) => write!(f, " {v}"),
                    Operand::List(vs) => {
                        f.write_str(" [")?;
                        for (i, v) in vs.iter().enumerate() {
                            if i > 0 {
                                f.write_str(",")?;
                            }
                            write!(f, "{v}")?;
                        }
                        f.write_str("]")
                    }
                }
            }
        }
    }
}

/// One sort key. `nulls_last` is resolved at parse time (PostgreSQL's default:
/// last when ascending, first when descending) so keyset paging can rely on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortKey {
    pub field: &'static Field,
    pub descending: bool,
    pub nulls_last: bool,
}

/// The sort keys; storage always appends a tiebreak on `id`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sort(pub Vec<SortKey>);

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let dir = if k.descending { "desc" } else { "asc" };
            let nulls = if k.nulls_last { "last" } else { "first" };
            write!(f, "{} {dir} nulls {nulls}", k.field.name)?;
        }
        Ok(())
    }
}

/// How to page.
#[derive(Debug, Clone, PartialEq)]
pub enum PageMode {
    /// `page_number` (1-based): simple, for admin grids; deep pages cost more.
    Offset { number: u32 },
    /// Keyset: `None` is the first page, `Some` the opaque cursor of the page before.
    Keyset { cursor: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub size: u32,
    pub mode: PageMode,
}

/// A whole list request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub selection: Selection,
    pub filter: Option<Filter>,
    pub sort: Sort,
    pub page: Page,
    /// `count=exact`: also count every matching row.
    pub count: bool,
}

impl Filter {
    /// Whether a condition anywhere in the tree is on the listed resource's
    /// own `field` (not through a relation).
    pub fn mentions(&self, field: &Field) -> bool {
        match self {
            Filter::And(items) | Filter::Or(items) | Filter::Not(items) => items.iter().any(|f| f.mentions(field)),
            Filter::Cond(c) => c.via.is_none() && c.field == field,
        }
    }
}

impl ListQuery {
    /// ANDs `condition` before whatever the caller filtered: the one way a
    /// handler narrows a list (to a parent, to live rows).
    pub fn narrow(&mut self, condition: Condition) {
        let narrowing = Filter::Cond(condition);
        self.filter = Some(match self.filter.take() {
            None => narrowing,
            Some(f) => Filter::And(vec![narrowing, f]),
        });
    }

    /// Narrows the list to rows whose `field` equals `id` (a campaign's
    /// products, a product's variants, an attribute's values).
    pub fn within(&mut self, field: &'static Field, id: i64) {
        self.narrow(Condition { via: None, field, key: None, op: Op::Eq, operand: Operand::One(Scalar::Int(id)) });
    }

    /// Narrows the list to rows related through `via` to the row whose
    /// `field` equals `id` (a campaign's members: accounts whose campaigns
    /// include it); the compiler reads it as an `EXISTS`.
    pub fn within_via(&mut self, via: &'static Relation, field: &'static Field, id: i64) {
        self.narrow(Condition { via: Some(via), field, key: None, op: Op::Eq, operand: Operand::One(Scalar::Int(id)) });
    }

    /// Leaves soft-deleted rows out (`is_deleted == false`) unless the
    /// caller's filter already says what it wants of `is_deleted`, which
    /// `may_ask` decides the caller may do.
    pub fn hide_deleted(&mut self, is_deleted: &'static Field, may_ask: bool) {
        if may_ask && self.filter.as_ref().is_some_and(|f| f.mentions(is_deleted)) {
            return;
        }
        self.narrow(Condition {
            via: None,
            field: is_deleted,
            key: None,
            op: Op::Eq,
            operand: Operand::One(Scalar::Bool(false)),
        });
    }

    /// The whole request in one canonical text: equal for every request that
    /// answers the same page (whatever the order or spelling of its
    /// parameters), so it can key a cached page.
    pub fn canonical(&self) -> String {
        let filter = self.filter.as_ref().map(ToString::to_string).unwrap_or_default();
        let page = match &self.page.mode {
            PageMode::Offset { number } => format!("page {number}"),
            PageMode::Keyset { cursor } => format!("after {}", cursor.as_deref().unwrap_or("-")),
        };
        format!(
            "{}|{filter}|{}|{} of {}|{}",
            self.selection.canonical(),
            self.sort,
            page,
            self.page.size,
            if self.count { "count" } else { "-" }
        )
    }
}
