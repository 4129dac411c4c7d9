//! Properties of the query language: no input makes a parser panic, valid
//! masks survive a print/parse round trip, and whatever is accepted is well
//! formed (descriptor order, no repeats, printable), on every resource the
//! API serves.

#![allow(clippy::unwrap_used)]

use domain::Role;
use domain::query::limits::MAX_MASK_DEPTH;
use domain::query::{Filter, Selection};
use domain::resource::{FieldType, Resource};
use proptest::prelude::*;
use proptest::sample::select as one_of;
use proptest::strategy::Union;
use serde_json::{Map, Value, json};
use validators::query::{Mask, MaskItem, QueryErrorKind, parse_filter, parse_mask, parse_page, parse_sort, select};

const ROLES: [Role; 5] = Role::ALL;
/// Every resource the API serves.
const RESOURCES: &[&Resource] = domain::resource::RESOURCES;

/// Every field and relation name of every resource, and a few that are none.
fn vocabulary() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = RESOURCES
        .iter()
        .flat_map(|r| r.fields.iter().map(|f| f.name).chain(r.relations.iter().map(|x| x.name)))
        .chain(["nope", "Id", "_x"])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

const SPELLINGS: &[&str] = &[
    "==",
    "eq",
    "!=",
    "ne",
    ">",
    "gt",
    "<",
    "lt",
    ">=",
    "ge",
    "<=",
    "le",
    "like",
    "ilike",
    "not_ilike",
    "in",
    "not_in",
    "is_null",
    "is_not_null",
    "any",
    "not_any",
    "EQ",
    "",
];

fn any_name() -> impl Strategy<Value = String> + Clone {
    "[A-Za-z_][A-Za-z0-9_]{0,8}"
}

fn vocabulary_name() -> impl Strategy<Value = String> + Clone {
    one_of(vocabulary()).prop_map(str::to_owned)
}

/// Masks within the grammar's limits (three levels of braces), names from `names`.
fn mask_of(names: impl Strategy<Value = String> + Clone + 'static) -> impl Strategy<Value = Mask> {
    let leaf = prop_oneof![
        1 => Just(MaskItem::All),
        4 => names.clone().prop_map(|name| MaskItem::Name { name, position: 0, children: None }),
    ];
    let item = leaf.prop_recursive(3, 48, 5, move |inner| {
        (names.clone(), prop::collection::vec(inner, 1..5)).prop_map(|(name, items)| MaskItem::Name {
            name,
            position: 0,
            children: Some(Mask(items)),
        })
    });
    prop::collection::vec(item, 1..6).prop_map(Mask)
}

/// The mask printed with `blank` around every token and optional outer braces.
fn spaced(mask: &Mask, blank: &str, braces: bool) -> String {
    let items: Vec<String> = mask
        .0
        .iter()
        .map(|item| match item {
            MaskItem::All => format!("{blank}*{blank}"),
            MaskItem::Name { name, children: None, .. } => format!("{blank}{name}{blank}"),
            MaskItem::Name { name, children: Some(c), .. } => {
                format!("{blank}{name}{blank}{{{}}}{blank}", spaced(c, blank, false))
            }
        })
        .collect();
    let list = items.join(",");
    if braces { format!("{blank}{{{list}}}{blank}") } else { list }
}

fn leaf(name: &str) -> MaskItem {
    MaskItem::Name { name: name.to_owned(), position: 0, children: None }
}

/// Masks whose every name exists at its level of `resource`, nested up to the depth limit.
fn valid_mask(resource: &'static Resource, depth: usize) -> BoxedStrategy<Mask> {
    let fields: Vec<&'static str> = resource.fields.iter().map(|f| f.name).collect();
    let mut items: Vec<BoxedStrategy<MaskItem>> =
        vec![Just(MaskItem::All).boxed(), one_of(fields).prop_map(leaf).boxed()];
    for relation in resource.relations {
        items.push(Just(leaf(relation.name)).boxed());
        if depth < MAX_MASK_DEPTH {
            let name = relation.name;
            let nested = valid_mask(relation.target(), depth + 1);
            items.push(
                nested
                    .prop_map(move |m| MaskItem::Name { name: name.to_owned(), position: 0, children: Some(m) })
                    .boxed(),
            );
        }
    }
    prop::collection::vec(Union::new(items), 1..5).prop_map(Mask).boxed()
}

fn date() -> impl Strategy<Value = String> {
    (1970..2100i32, 1..=12u32, 1..=28u32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

/// A valid JSON value of type `ty`.
fn typed_value(ty: FieldType) -> BoxedStrategy<Value> {
    match ty {
        FieldType::Id | FieldType::Int => {
            prop_oneof![any::<i64>().prop_map(|i| json!(i)), any::<i64>().prop_map(|i| json!(i.to_string()))].boxed()
        }
        FieldType::Text | FieldType::TextList => "[^\\x00]{0,12}".prop_map(|t| json!(t)).boxed(),
        FieldType::Bool => any::<bool>().prop_map(|b| json!(b)).boxed(),
        FieldType::Money => prop_oneof![
            (any::<i32>(), 0..100u32).prop_map(|(w, c)| json!(format!("{w}.{c:02}"))),
            (-1e9..1e9f64).prop_map(|f| json!(f)),
        ]
        .boxed(),
        FieldType::Date => date().prop_map(|d| json!(d)).boxed(),
        FieldType::DateTime => prop_oneof![
            date().prop_map(|d| json!(d)),
            (date(), 0..24u32, 0..60u32, one_of(&["Z", "+02:00", "-05:30"][..]))
                .prop_map(|(d, h, m, z)| json!(format!("{d}T{h:02}:{m:02}:00{z}"))),
        ]
        .boxed(),
        FieldType::Enum(values) => one_of(values).prop_map(|v| json!(v)).boxed(),
        // Never filterable; any document will do.
        FieldType::Json => Just(json!({})).boxed(),
    }
}

/// The operators that apply to `ty` (DESIGN §4), in their word spellings.
fn operators(ty: FieldType) -> Vec<&'static str> {
    let mut ops = vec!["is_null", "is_not_null"];
    match ty {
        // A JSON document is only ever tested for presence.
        FieldType::Json => {}
        FieldType::TextList => ops.extend(["any", "not_any"]),
        FieldType::Bool | FieldType::Enum(_) => ops.extend(["eq", "ne", "in", "not_in"]),
        FieldType::Text => {
            ops.extend(["eq", "ne", "in", "not_in", "gt", "lt", "ge", "le", "like", "ilike", "not_ilike"])
        }
        _ => ops.extend(["eq", "ne", "in", "not_in", "gt", "lt", "ge", "le"]),
    }
    ops
}

/// Well-typed conditions on the filterable fields of `resource` (and of its
/// relations' targets, through `model`).
fn typed_condition(resource: &'static Resource) -> BoxedStrategy<Value> {
    let mut choices: Vec<BoxedStrategy<Value>> = Vec::new();
    let targets =
        std::iter::once((None, resource)).chain(resource.relations.iter().map(|r| (Some(r.target), r.target())));
    for (model, target) in targets {
        for field in target.fields.iter().filter(|f| f.filterable) {
            let (name, ty) = (field.name, field.ty);
            let op_value = one_of(operators(ty)).prop_flat_map(move |op| {
                let value = match op {
                    "is_null" | "is_not_null" => Just(None).boxed(),
                    "in" | "not_in" => {
                        prop::collection::vec(typed_value(ty), 1..4).prop_map(|vs| Some(Value::Array(vs))).boxed()
                    }
                    _ => typed_value(ty).prop_map(Some).boxed(),
                };
                (Just(op), value)
            });
            choices.push(
                op_value
                    .prop_map(move |(op, value)| {
                        let mut c = json!({"field": name, "op": op});
                        if let Some(model) = model {
                            c["model"] = json!(model);
                        }
                        if let Some(value) = value {
                            c["value"] = value;
                        }
                        c
                    })
                    .boxed(),
            );
        }
    }
    Union::new(choices).boxed()
}

/// Non-empty groups of `leaf` conditions, within the depth limit.
fn groups(leaf: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    let tree = leaf.prop_recursive(6, 32, 4, |inner| {
        (one_of(&["and", "or", "not"][..]), prop::collection::vec(inner, 1..4))
            .prop_map(|(group, items)| json!({ group: items }))
    });
    prop::collection::vec(tree, 1..4).prop_map(Value::Array)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        one_of(&["2026-11-22", "2026-11-22T10:00:00Z", "12.50", "42", "shopper", "%a%", "\0"][..])
            .prop_map(|s| json!(s)),
        vocabulary_name().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        one_of(&["field", "op", "value", "model", "and", "or", "not"][..]).prop_map(str::to_owned),
        "[a-z]{1,6}",
    ]
}

/// Conditions that are often valid: real fields and operators, random values.
fn condition() -> impl Strategy<Value = Value> {
    (
        prop::option::of(one_of(&["Account", "Distributor", "Order"][..])),
        vocabulary_name(),
        one_of(SPELLINGS),
        prop::option::of(json_value()),
    )
        .prop_map(|(model, field, op, value)| {
            let mut object = Map::new();
            if let Some(model) = model {
                object.insert("model".into(), json!(model));
            }
            object.insert("field".into(), json!(field));
            object.insert("op".into(), json!(op));
            if let Some(value) = value {
                object.insert("value".into(), value);
            }
            Value::Object(object)
        })
}

/// Filters mixing well-typed conditions with random ones.
fn filter_json(resource: &'static Resource) -> impl Strategy<Value = Value> {
    groups(prop_oneof![3 => typed_condition(resource), 1 => condition().boxed()].boxed())
}

/// Fields and relations in descriptor order, without repeats, all the way down.
fn well_formed(s: &Selection) -> bool {
    let field_at = |name: &str| s.resource.fields.iter().position(|f| f.name == name);
    let relation_at = |name: &str| s.resource.relations.iter().position(|r| r.name == name);
    let fields: Vec<_> = s.fields.iter().map(|f| field_at(f.name)).collect();
    let relations: Vec<_> = s.relations.iter().map(|(r, _)| relation_at(r.name)).collect();
    fields.iter().all(Option::is_some)
        && fields.windows(2).all(|w| w[0] < w[1])
        && relations.windows(2).all(|w| w[0] < w[1])
        && s.relations.iter().all(|(r, nested)| nested.resource == r.target() && well_formed(nested))
}

proptest! {
    #[test]
    fn valid_masks_round_trip(mask in mask_of(any_name())) {
        let printed = mask.to_string();
        let parsed = parse_mask(&printed).unwrap();
        prop_assert_eq!(parsed.without_positions(), mask.clone());
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn blanks_and_outer_braces_do_not_change_a_mask(
        mask in mask_of(any_name()),
        blank in "[ \t\r\n]{0,2}",
        braces in any::<bool>(),
    ) {
        let text = spaced(&mask, &blank, braces);
        prop_assert_eq!(parse_mask(&text).unwrap().without_positions(), mask);
    }

    #[test]
    fn parse_mask_never_panics(text in prop_oneof![any::<String>(), "[{}*, \ta-z_0-9]{0,64}"]) {
        if let Ok(mask) = parse_mask(&text) {
            prop_assert_eq!(parse_mask(&mask.to_string()).unwrap().without_positions(), mask.without_positions());
        }
    }

    #[test]
    fn valid_masks_are_selected_or_forbidden(
        (resource, mask) in one_of(RESOURCES).prop_flat_map(|r| (Just(r), valid_mask(r, 1))),
        role in one_of(&ROLES[..]),
    ) {
        let from_text = select(Some(&parse_mask(&mask.to_string()).unwrap()), resource, role);
        // Generated masks carry position 0; the parsed one real positions.
        let unplaced = |r: &Result<_, validators::query::QueryError>| r.clone().map_err(|e| (e.kind, e.message));
        prop_assert_eq!(unplaced(&from_text), unplaced(&select(Some(&mask), resource, role)));
        match from_text {
            Ok(selection) => prop_assert!(well_formed(&selection), "{:?}", selection),
            Err(e) => prop_assert_eq!(e.kind, QueryErrorKind::Forbidden, "{}: {}", mask, e),
        }
        prop_assert!(select(Some(&mask), resource, Role::SuperAdmin).is_ok());
    }

    #[test]
    fn selections_are_well_formed(
        mask in mask_of(vocabulary_name()),
        resource in one_of(RESOURCES),
        role in one_of(&ROLES[..]),
    ) {
        if let Ok(selection) = select(Some(&mask), resource, role) {
            prop_assert!(well_formed(&selection), "{:?}", selection);
            // Star-free masks never select what the role may not read by name.
            prop_assert!(selection.fields.iter().all(|f| f.least_role <= role));
        }
    }

    #[test]
    fn parse_filter_never_panics_on_text(
        text in prop_oneof![any::<String>(), "[\\[\\]{}\",:a-z0-9 ]{0,64}"],
        resource in one_of(RESOURCES),
    ) {
        let _ = parse_filter(&text, resource, Role::SuperAdmin);
    }

    #[test]
    fn parse_filter_never_panics_on_json(value in json_value(), resource in one_of(RESOURCES)) {
        let _ = parse_filter(&value.to_string(), resource, Role::SuperAdmin);
    }

    #[test]
    fn well_typed_filters_are_accepted(
        (resource, value) in one_of(RESOURCES).prop_flat_map(|r| (Just(r), groups(typed_condition(r)))),
    ) {
        let text = value.to_string();
        prop_assume!(text.len() <= domain::query::limits::MAX_FILTER_BYTES);
        let result = parse_filter(&text, resource, Role::SuperAdmin);
        prop_assert!(result.is_ok(), "{}: {:?}", text, result);
    }

    #[test]
    fn accepted_filters_are_printable_and_respect_the_role(
        (resource, value) in one_of(RESOURCES).prop_flat_map(|r| (Just(r), filter_json(r))),
        role in one_of(&ROLES[..]),
    ) {
        match parse_filter(&value.to_string(), resource, role) {
            Ok(filter) => {
                prop_assert!(!filter.to_string().is_empty());
                prop_assert!(readable(&filter, role));
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn parse_sort_never_panics(
        text in prop_oneof![any::<String>(), "[-+,a-z_ ]{0,40}", "\\[[{}\":,a-z ]{0,40}\\]"],
        resource in one_of(RESOURCES),
    ) {
        let _ = parse_sort(&text, resource, Role::Shopper);
    }

    #[test]
    fn accepted_sorts_have_distinct_readable_sortable_fields(
        names in prop::collection::vec(("[-+]?", vocabulary_name()), 1..10),
        role in one_of(&ROLES[..]),
        resource in one_of(RESOURCES),
    ) {
        let text = names.iter().map(|(sign, name)| format!("{sign}{name}")).collect::<Vec<_>>().join(",");
        if let Ok(sort) = parse_sort(&text, resource, role) {
            let mut seen: Vec<&str> = sort.0.iter().map(|k| k.field.name).collect();
            prop_assert!(sort.0.iter().all(|k| k.field.sortable && k.field.least_role <= role));
            seen.sort_unstable();
            seen.dedup();
            prop_assert_eq!(seen.len(), sort.0.len());
        }
    }

    #[test]
    fn parse_page_never_panics(
        size in prop::option::of(any::<i64>()),
        number in prop::option::of(any::<i64>()),
        cursor in prop::option::of(any::<String>()),
    ) {
        if let Ok(page) = parse_page(size, number, cursor) {
            prop_assert!((1..=500).contains(&page.size));
        }
    }
}

fn readable(filter: &Filter, role: Role) -> bool {
    match filter {
        Filter::And(items) | Filter::Or(items) | Filter::Not(items) => {
            !items.is_empty() && items.iter().all(|f| readable(f, role))
        }
        Filter::Cond(c) => {
            c.field.filterable && c.field.least_role <= role && c.via.is_none_or(|r| r.least_role <= role)
        }
    }
}
