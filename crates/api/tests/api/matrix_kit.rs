//! What the access matrices (`matrix`, `catalog_matrix`) share: who asks,
//! about which side, the outcome a cell expects, and the checks every cell
//! runs whatever its namespace (leaks, "nothing changed").

use crate::helpers::Resp;
use domain::Role;
use serde_json::Value;
use std::collections::BTreeSet;
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

/// The ids a request names: every number standing alone (not part of a word
/// such as `v1`) in its path and header values, and the numbers of body
/// fields called `id`, `ids` or ending in `_id`/`_ids`.
pub fn named_ids<'a>(path: &str, headers: impl IntoIterator<Item = &'a str>, body: Option<&Value>) -> BTreeSet<i64> {
    fn from_body(v: &Value, key: &str, out: &mut BTreeSet<i64>) {
        let is_id = matches!(key, "id" | "ids") || key.ends_with("_id") || key.ends_with("_ids");
        match v {
            Value::Number(n) if is_id => out.extend(n.as_i64()),
            Value::Array(a) => a.iter().for_each(|v| from_body(v, key, out)),
            Value::Object(o) => o.iter().for_each(|(k, v)| from_body(v, k, out)),
            _ => {}
        }
    }
    let mut ids: BTreeSet<i64> = numbers(path).into_iter().collect();
    for h in headers {
        ids.extend(numbers(h));
    }
    if let Some(b) = body {
        from_body(b, "", &mut ids);
    }
    ids
}

/// The numbers standing alone in `text`, with where they start and end.
fn number_spans(text: &[u8]) -> Vec<(usize, usize, Option<i64>)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_digit() {
            let start = i;
            while i < text.len() && text[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|b| text[b]);
            let alone = !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !text.get(i).is_some_and(u8::is_ascii_alphanumeric);
            if alone {
                let n = std::str::from_utf8(&text[start..i]).ok().and_then(|s| s.parse().ok());
                spans.push((start, i, n));
            }
        } else {
            i += 1;
        }
    }
    spans
}

fn numbers(text: &str) -> Vec<i64> {
    number_spans(text.as_bytes()).into_iter().filter_map(|(_, _, n)| n).collect()
}

/// `bytes` with the request's id and the named ids blotted out.
fn blot(bytes: &[u8], request_id: Option<&str>, named: &BTreeSet<i64>) -> Vec<u8> {
    let mut text = bytes.to_vec();
    if let Some(rid) = request_id.filter(|r| !r.is_empty()) {
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            if text[i..].starts_with(rid.as_bytes()) {
                out.extend_from_slice(b"<request-id>");
                i += rid.len();
            } else {
                out.push(text[i]);
                i += 1;
            }
        }
        text = out;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut last = 0;
    for (start, end, n) in number_spans(&text) {
        if n.is_some_and(|n| named.contains(&n)) {
            out.extend_from_slice(&text[last..start]);
            out.push(b'#');
            last = end;
        }
    }
    out.extend_from_slice(&text[last..]);
    out
}

/// What a response tells about its target, for comparing a hidden object's
/// answer with a nonexistent one's: the status, every header but `date`,
/// `x-request-id` and `content-length` (which must be the body's length), and
/// the body bytes, each with the request id and the ids the request named
/// blotted out.
/// A response as [`answer`] compares it: status, sorted headers, body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> =
            self.headers.iter().map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v))).collect();
        write!(f, "{} [{}] {}", self.status, headers.join(", "), short(&String::from_utf8_lossy(&self.body)))
    }
}

fn answer(r: &Resp, named: &BTreeSet<i64>) -> Result<Answer, String> {
    let rid = r.header("x-request-id");
    if let Some(len) = r.header("content-length")
        && len != r.bytes.len().to_string()
    {
        return Err(format!("Content-Length {len} for a body of {} bytes", r.bytes.len()));
    }
    let mut headers: Vec<(String, Vec<u8>)> = r
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id" | "content-length"))
        .map(|(k, v)| (k.as_str().to_owned(), blot(v.as_bytes(), rid, named)))
        .collect();
    headers.sort();
    Ok(Answer { status: r.status.as_u16(), headers, body: blot(&r.bytes, rid, named) })
}

/// Why `real` (for an object the caller may not see, named by `real_ids`)
/// can be told apart from `ghost` (for ids that do not exist), if it can.
/// Both answers are blotted alike, of the ids either request named: an id
/// the request named may come back; any other difference is a tell.
pub fn tells_apart(real: &Resp, real_ids: &BTreeSet<i64>, ghost: &Resp, ghost_ids: &BTreeSet<i64>) -> Option<String> {
    let named: BTreeSet<i64> = real_ids.union(ghost_ids).copied().collect();
    let (a, b) = match (answer(real, &named), answer(ghost, &named)) {
        (Err(e), _) => return Some(format!("the real answer: {e}")),
        (_, Err(e)) => return Some(format!("the nonexistent id's answer: {e}")),
        (Ok(a), Ok(b)) => (a, b),
    };
    (a != b).then(|| format!("answers {a} but a nonexistent id answers {b}"))
}

/// What a request could have changed, as `"<table>/<distributor>"` →
/// digest: every table, its rows grouped by the distributor they belong to
/// (their `distributor_id`, their account's for session-like tables keyed
/// by account, `-` for rows of no distributor), plus `redis/deny`, the
/// denylist entries of the application's cache. The digest is the row count
/// and the sum of the rows' `xmin`: any insert, update or delete moves it.
pub async fn fingerprint(pool: &sqlx::PgPool, cache: &storage::Cache) -> std::collections::BTreeMap<String, String> {
    static SQL: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let sql = SQL
        .get_or_init(|| async {
            let tables: Vec<(String, bool, bool)> = sqlx::query_as(
                "SELECT t.table_name::text, \
                        bool_or(c.column_name = 'distributor_id'), bool_or(c.column_name = 'account_id') \
                 FROM information_schema.tables t \
                 JOIN information_schema.columns c USING (table_schema, table_name) \
                 WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND t.table_name <> '_sqlx_migrations' \
                 GROUP BY 1 ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let parts: Vec<String> = tables
                .iter()
                .map(|(t, by_distributor, by_account)| {
                    let (owner, from) = match (t.as_str(), by_distributor, by_account) {
                        ("distributors", _, _) => ("r.id", format!("{t} r")),
                        (_, true, _) => ("r.distributor_id", format!("{t} r")),
                        (_, false, true) => ("a.distributor_id", format!("{t} r LEFT JOIN accounts a ON a.id = r.account_id")),
                        _ => ("NULL::int8", format!("{t} r")),
                    };
                    format!(
                        "(SELECT coalesce(jsonb_object_agg('{t}/' || coalesce(d::text, '-'), n || ':' || s), '{{}}') \
                          FROM (SELECT {owner} AS d, count(*) AS n, sum(r.xmin::text::int8) AS s FROM {from} GROUP BY 1) x)"
                    )
                })
                .collect();
            format!("SELECT {}", parts.join(" || "))
        })
        .await;
    // The statement is built from the catalog's table names, never client text.
    let digest: Value = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_one(pool).await.unwrap();
    let mut out: std::collections::BTreeMap<String, String> = digest
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let mut redis = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{}deny:*", cache.prefix())).query_async(&mut redis).await.unwrap();
    keys.sort();
    out.insert("redis/deny".to_owned(), keys.join(","));
    out
}

/// The `"<table>/<distributor>"` entries that differ between two fingerprints.
pub fn changed_parts(
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}

/// The changes an allowed write made outside what it may touch: rows of
/// `target` (the distributor the cell's objects belong to), of the caller's
/// own distributor, of a distributor the write created (it had no
/// `distributors` row `before`), and rows of no distributor.
pub fn outside(
    before: &std::collections::BTreeMap<String, String>,
    changes: &[String],
    target: i64,
    caller: Option<i64>,
) -> Vec<String> {
    let owner = |k: &str| k.rsplit('/').next().unwrap_or_default().to_owned();
    changes
        .iter()
        .filter(|k| {
            let o = owner(k);
            let created = !before.contains_key(&format!("distributors/{o}"));
            !(o == "-"
                || o == "deny"
                || created
                || o == target.to_string()
                || caller.is_some_and(|c| o == c.to_string()))
        })
        .cloned()
        .collect()
}

/// A way of sending a matrix row's request, tried on every operation whose
/// spec accepts the header, so no conditional or keyed request can be
/// forgotten: the plain request, then the same with a stale `If-Match`,
/// with `If-None-Match: *`, and with an `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Plain,
    StaleIfMatch,
    IfNoneMatchAny,
    IdempotencyKey,
}

impl Variant {
    /// The header this variant adds.
    fn header(self) -> Option<&'static str> {
        match self {
            Variant::Plain => None,
            Variant::StaleIfMatch => Some("If-Match"),
            Variant::IfNoneMatchAny => Some("If-None-Match"),
            Variant::IdempotencyKey => Some("Idempotency-Key"),
        }
    }

    /// The variants of a request to `route` already carrying `sent` headers:
    /// each header the operation accepts and the request does not send yet.
    pub fn of(route: (&str, &str), sent: &[&str]) -> Vec<Variant> {
        let accepted = accepted_headers();
        let mut out = vec![Variant::Plain];
        for v in [Variant::StaleIfMatch, Variant::IfNoneMatchAny, Variant::IdempotencyKey] {
            let h = v.header().unwrap_or_default();
            let takes = accepted.get(&(route.0.to_owned(), route.1.to_owned())).is_some_and(|s| s.contains(h));
            if takes && !sent.iter().any(|s| s.eq_ignore_ascii_case(h)) {
                out.push(v);
            }
        }
        out
    }

    /// The header to add to cell `n`'s request, if any.
    pub fn add(self, n: usize) -> Option<(&'static str, String)> {
        let value = match self {
            Variant::Plain => return None,
            Variant::StaleIfMatch => "\"stale-0\"".to_owned(),
            Variant::IfNoneMatchAny => "*".to_owned(),
            Variant::IdempotencyKey => format!("variant-key-{n}"),
        };
        self.header().map(|h| (h, value))
    }

    /// What the cell expects with this variant, given the plain request's
    /// outcome. The normal request checks come first (RFC 9110 §13.2.2): a
    /// 403 or 404 stays the same refusal, so who may not act or see learns
    /// nothing more from a conditional request. Preconditions come before
    /// the content is processed: a success, or a 422 of the content, becomes
    /// 412 for a stale tag; a success becomes 304 for `*`. A key changes no
    /// outcome.
    pub fn expect(self, plain: Outcome) -> Outcome {
        match (self, plain) {
            (Variant::StaleIfMatch, Outcome::Status(code)) if (200..300).contains(&code) || code == 422 => {
                Outcome::Status(412)
            }
            (Variant::IfNoneMatchAny, Outcome::Status(200) | Outcome::Listed) => Outcome::Status(304),
            _ => plain,
        }
    }
}

/// The header parameters of every operation of the spec.
fn accepted_headers() -> &'static std::collections::BTreeMap<(String, String), BTreeSet<String>> {
    static ACCEPTED: std::sync::OnceLock<std::collections::BTreeMap<(String, String), BTreeSet<String>>> =
        std::sync::OnceLock::new();
    ACCEPTED.get_or_init(|| {
        let spec: Value = serde_json::from_str(&api::document::document()).unwrap();
        let mut out = std::collections::BTreeMap::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let headers: BTreeSet<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "header")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                out.insert((method.to_uppercase(), path.clone()), headers);
            }
        }
        out
    })
}

/// What a cell's request changed that it must not have: anything when
/// refused, nothing when an allowed write, anything when a read, and rows of
/// a distributor other than `target`'s or the `caller`'s.
pub fn change_problems(
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
    r: &Resp,
    is_write: bool,
    target: i64,
    caller: Option<i64>,
) -> Vec<String> {
    let diff = changed_parts(before, after);
    let success = r.status.is_success();
    let mut problems = Vec::new();
    if !success && !diff.is_empty() {
        problems.push(format!("refused with {} but changed {diff:?}", r.status.as_u16()));
    } else if success && is_write && diff.is_empty() {
        problems.push("an allowed write changed nothing".to_owned());
    } else if !is_write && !diff.is_empty() {
        problems.push(format!("a read changed {diff:?}"));
    }
    let strays = outside(before, &diff, target, caller);
    if success && !strays.is_empty() {
        problems.push(format!("changed rows of another distributor: {strays:?}"));
    }
    problems
}
