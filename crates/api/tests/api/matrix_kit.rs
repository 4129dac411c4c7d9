//! What the access matrices (`matrix`, `catalog_matrix`) share: who asks,
//! about which side, the outcome a cell expects, and the checks every cell
//! runs whatever its namespace (leaks, "nothing changed").

use crate::helpers::Resp;
use domain::Role;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Root,
    Manager,
    Sales,
    Buyer,
    Shopper,
}

pub const ROLES: [Who; 5] = [Who::Root, Who::Manager, Who::Sales, Who::Buyer, Who::Shopper];

impl Who {
    pub fn username(self) -> &'static str {
        match self {
            Who::Root => "root",
            Who::Manager => "acme_manager",
            Who::Sales => "acme_sales",
            Who::Buyer => "acme_buyer",
            Who::Shopper => "acme_shopper",
        }
    }

    pub fn role(self) -> Role {
        match self {
            Who::Root => Role::SuperAdmin,
            Who::Manager => Role::DistributorManager,
            Who::Sales => Role::SalesExecutive,
            Who::Buyer => Role::AdminBuyer,
            Who::Shopper => Role::Shopper,
        }
    }

    pub fn is_staff(self) -> bool {
        self.role().is_staff()
    }
}

/// Whose object the cell targets: the caller's own distributor or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Acme,
    Globex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// This status (a success, or a refusal such as 412 or 422).
    Status(u16),
    /// 403: the caller may know the object exists but lacks the right.
    Forbidden,
    /// 404: indistinguishable from an object that does not exist.
    Hidden,
    /// A list holding exactly the target's rows, counted.
    Listed,
    /// A list: `[]`, `X-Total-Count: 0`.
    Unlisted,
}

impl Outcome {
    pub fn parse(s: &str) -> Outcome {
        match s {
            "in" => Outcome::Listed,
            "out" => Outcome::Unlisted,
            "403" => Outcome::Forbidden,
            "404" => Outcome::Hidden,
            code => Outcome::Status(code.parse().unwrap_or_else(|_| panic!("bad matrix cell {code:?}"))),
        }
    }

    /// `"<acme>/<globex>"` as the outcomes of both sides.
    pub fn pair(cell: &str) -> (Outcome, Outcome) {
        let (own, other) = cell.split_once('/').unwrap_or_else(|| panic!("bad matrix cell {cell:?}"));
        (Outcome::parse(own), Outcome::parse(other))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Status(code) => write!(f, "{code}"),
            Outcome::Forbidden => write!(f, "403 forbidden"),
            Outcome::Hidden => write!(f, "404 hidden"),
            Outcome::Listed => write!(f, "200 listing the target, counted"),
            Outcome::Unlisted => write!(f, "200 [], count 0"),
        }
    }
}

pub fn short(text: &str) -> String {
    let t: String = text.chars().take(400).collect();
    if t.len() < text.len() { format!("{t}…") } else { t }
}

/// Anything of another distributor in a response to an Acme caller: the
/// fixture names every Globex object after it, and any `distributor_id` must
/// be Acme's.
pub fn leak(r: &Resp, acme: i64) -> Option<String> {
    fn foreign_distributor(v: &Value, acme: i64) -> Option<i64> {
        match v {
            Value::Object(o) => o.iter().find_map(|(k, v)| match (k.as_str(), v.as_i64()) {
                ("distributor_id", Some(d)) if d != acme => Some(d),
                _ => foreign_distributor(v, acme),
            }),
            Value::Array(a) => a.iter().find_map(|v| foreign_distributor(v, acme)),
            _ => None,
        }
    }
    if r.text.to_lowercase().contains("globex") {
        return Some(format!("the response mentions Globex: {}", short(&r.text)));
    }
    foreign_distributor(&r.body, acme).map(|d| format!("the response carries distributor_id {d}: {}", short(&r.text)))
}

/// The tables whose digest differs.
pub fn changed(before: &Value, after: &Value) -> Vec<String> {
    before
        .as_object()
        .map(|o| o.keys().filter(|k| before[k.as_str()] != after[k.as_str()]).cloned().collect())
        .unwrap_or_default()
}
