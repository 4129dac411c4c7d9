//! HTTP semantics caches and clients rely on (RFC 9110/9111): one validator
//! per representation, weak comparison for `If-None-Match`, and 404 before
//! 412.

use crate::helpers::{TestApp, World};
use poem::http::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_representation_has_its_own_validator(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendor = app.vendor(w.acme, "Tagged", &["supplier"]).await;
    let url = format!("/api/v1/catalog/vendors/{vendor}");
    let whole = app.get(&url, &sales).await;
    let slim = app.get_with(&url, &sales, &[("X-Fields", "{id}")]).await;
    let same_slim = app.get_with(&url, &sales, &[("X-Fields", "id")]).await;
    let (whole_tag, slim_tag) = (whole.header("etag").unwrap(), slim.header("etag").unwrap());
    assert_ne!(whole_tag, slim_tag, "two representations, two validators");
    assert_eq!(same_slim.header("etag"), Some(slim_tag), "one selection, however it is written, one validator");
    for r in [&whole, &slim] {
        assert!(r.header("vary").is_some_and(|v| v.contains("x-fields")), "{:?}", r.headers);
    }
    // A client holding the slim body does not hold the whole one.
    app.get_with(&url, &sales, &[("If-None-Match", slim_tag)]).await.expect(200);
    let r = app.get_with(&url, &sales, &[("X-Fields", "{id}"), ("If-None-Match", slim_tag)]).await;
    assert_eq!(r.status.as_u16(), 304);
    // Weak comparison: W/"…" matches.
    let weak = format!("W/{whole_tag}");
    assert_eq!(app.get_with(&url, &sales, &[("If-None-Match", &weak)]).await.status.as_u16(), 304);
    // If-Match compares the version, whatever mask the tag was read with.
    let r = app
        .request(Method::PATCH, &url, Some(&sales), &[("If-Match", slim_tag)], Some(json!({"address": "2 Way"})))
        .await;
    r.expect(200);
    let r = app
        .request(Method::PATCH, &url, Some(&sales), &[("If-Match", slim_tag)], Some(json!({"address": "3 Way"})))
        .await;
    r.expect(412);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_missing_row_is_404_before_any_precondition(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendor = app.vendor(w.acme, "Present", &["supplier"]).await;
    for tag in ["\"vendor-999999-1\"", "\"something-else\"", "W/\"vendor-999999-1\""] {
        let missing = app
            .request(
                Method::PATCH,
                "/api/v1/catalog/vendors/999999",
                Some(&sales),
                &[("If-Match", tag)],
                Some(json!({"address": "x"})),
            )
            .await;
        missing.expect(404);
        let present = app
            .request(
                Method::PATCH,
                &format!("/api/v1/catalog/vendors/{vendor}"),
                Some(&sales),
                &[("If-Match", tag)],
                Some(json!({"address": "x"})),
            )
            .await;
        present.expect(412);
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn options_head_and_accept_are_answered(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let r = app.request(Method::OPTIONS, "/api/v1/catalog/vendors", None, &[], None).await;
    assert_eq!(r.status.as_u16(), 204);
    let allow = r.header("allow").unwrap_or_default().to_owned();
    for m in ["GET", "HEAD", "POST", "OPTIONS"] {
        assert!(allow.split(", ").any(|a| a == m), "{m} missing from Allow: {allow}");
    }
    let r = app.request(Method::OPTIONS, "/api/v1/catalog/vendors/1", None, &[], None).await;
    assert!(r.header("allow").is_some_and(|a| a.contains("PATCH") && a.contains("DELETE")));
    app.request(Method::OPTIONS, "/api/v1/nowhere", None, &[], None).await.expect(404);

    let (headers, body) = app.raw(Method::HEAD, "/health", &[]).await;
    assert!(body.is_empty());
    assert!(headers.get("content-type").is_some());

    // JSON-only operations refuse an Accept that excludes JSON, and only that.
    for accept in ["text/csv, */*;q=0", "text/html", "application/json;q=0, text/plain"] {
        let r = app.get_with("/api/v1/auth/me", &sales, &[("Accept", accept)]).await;
        r.expect(406);
    }
    for accept in ["application/json", "*/*", "text/html, application/*;q=0.5", "application/problem+json"] {
        let r = app.get_with("/api/v1/auth/me", &sales, &[("Accept", accept)]).await;
        assert_eq!(r.status.as_u16(), 200, "{accept}");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn cors_is_closed_unless_origins_are_configured(pool: PgPool) {
    let closed = TestApp::new(pool.clone()).await;
    let origin = [("Origin", "https://store.example")];
    let r = closed.request(Method::GET, "/health", None, &origin, None).await;
    assert_eq!(r.header("access-control-allow-origin"), None);

    let config = api::ApiConfig { cors_origins: vec!["https://store.example".into()], ..api::ApiConfig::default() };
    let open = TestApp::with_config(pool, config).await;
    let preflight = [
        ("Origin", "https://store.example"),
        ("Access-Control-Request-Method", "PATCH"),
        ("Access-Control-Request-Headers", "authorization, if-match, x-fields"),
    ];
    let r = open.request(Method::OPTIONS, "/api/v1/catalog/vendors/1", None, &preflight, None).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://store.example"));
    let r = open.request(Method::GET, "/health", None, &origin, None).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("https://store.example"));
    let r = open.request(Method::GET, "/health", None, &[("Origin", "https://evil.example")], None).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

/// Every path the spec's prose names (`/api/v1/...` in a description) is one
/// of its operations' paths, or a prefix of one: documentation never sends a
/// reader to an endpoint that does not exist.
#[test]
fn descriptions_name_only_paths_that_exist() {
    fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let spec: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let paths: Vec<Vec<&str>> =
        spec["paths"].as_object().unwrap().keys().map(|p| p.trim_matches('/').split('/').collect()).collect();
    let matches = |mention: &[&str]| {
        paths.iter().any(|p| {
            p.len() >= mention.len()
                && mention.iter().zip(p).all(|(m, s)| m == s || (s.starts_with('{') && !m.is_empty()))
        })
    };
    let mut texts = Vec::new();
    strings(&spec, &mut texts);
    let mut wrong = Vec::new();
    for text in texts {
        for (at, _) in text.match_indices("/api/v1/") {
            let mention: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '{' | '}'))
                .collect();
            let segments: Vec<&str> = mention.trim_matches('/').split('/').collect();
            if !matches(&segments) {
                wrong.push(mention);
            }
        }
    }
    assert!(wrong.is_empty(), "descriptions name paths the API does not have: {wrong:?}");
}

/// A body for `schema` that the operation's schema accepts in shape: its
/// example when it has one, else every required property with a value of its
/// type (the refusal under test comes before any rule on values).
fn body_for(spec: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(all) = schema["allOf"].as_array().and_then(|a| a.first()) {
        return body_for(spec, all);
    }
    match schema["type"].as_str() {
        Some("string") => json!("1"),
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => {
            let mut body = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
                body.insert(name.to_owned(), body_for(spec, &schema["properties"][name]));
            }
            serde_json::Value::Object(body)
        }
    }
}

/// Every JSON request body of the spec refuses a field its schema does not
/// list with a 422 naming it (never ignoring it: no mass assignment), and the
/// refusal changes nothing.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_body_refuses_unknown_fields(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    let spec: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let before = crate::matrix_kit::fingerprint(&pool, &app.state.cache).await;
    let mut tried = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let json_body = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.iter().find(|(ct, _)| ct.starts_with("application/json")))
                .map(|(_, media)| &media["schema"]);
            let Some(schema) = json_body else { continue };
            let mut body = body_for(&spec, schema);
            body.as_object_mut().unwrap().insert("zz_unknown".into(), json!(true));
            let url: String =
                path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app.request(method.clone(), &url, Some(&root), &[], Some(body)).await;
            assert_eq!(r.status.as_u16(), 422, "{method} {path}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], "zz_unknown", "{method} {path}: {}", r.text);
            assert_eq!(r.body["errors"][0]["code"], "unknown_field", "{method} {path}");
            tried.push(format!("{method} {path}"));
        }
    }
    assert!(tried.len() >= 20, "only {} JSON bodies in the spec: {tried:?}", tried.len());
    assert_eq!(crate::matrix_kit::fingerprint(&pool, &app.state.cache).await, before, "a refusal changed something");
}

/// Every 400 about input names what was wrong: a body that is not the
/// schema's object, a required field left out, and a path id that is not an
/// integer, on every operation of the spec that takes one.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_400_about_input_names_the_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    let spec: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let resolve = |schema: &serde_json::Value| -> serde_json::Value {
        match schema["$ref"].as_str() {
            Some(r) => spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone(),
            None => schema.clone(),
        }
    };
    let (mut bodies, mut paths) = (0, 0);
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = |id: &str| -> String {
                path.split('/').map(|s| if s.starts_with('{') { id } else { s }).collect::<Vec<_>>().join("/")
            };
            let int_param = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["in"] == "path" && resolve(&p["schema"])["type"] == "integer");
            if let Some(param) = int_param {
                let r = app.request(method.clone(), &url("x"), Some(&root), &[], None).await;
                assert_eq!(r.status.as_u16(), 400, "{method} {path}: {}", r.text);
                assert_eq!(r.body["errors"][0]["field"], param["name"], "{method} {path}: {}", r.text);
                paths += 1;
            }
            let json_body = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.iter().find(|(ct, _)| ct.starts_with("application/json")))
                .map(|(_, media)| resolve(&media["schema"]));
            let Some(schema) = json_body else { continue };
            let r = app.request(method.clone(), &url("1"), Some(&root), &[], Some(json!([]))).await;
            assert_eq!(r.status.as_u16(), 400, "{method} {path}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], "body", "{method} {path}: {}", r.text);
            if let Some(required) = schema["required"].as_array().and_then(|r| r.first()).and_then(|r| r.as_str()) {
                let mut body = body_for(&spec, &schema);
                body.as_object_mut().unwrap().remove(required);
                let r = app.request(method.clone(), &url("1"), Some(&root), &[], Some(body)).await;
                assert_eq!(r.status.as_u16(), 400, "{method} {path}: {}", r.text);
                let named = r.body["errors"].as_array().unwrap().iter().any(|e| e["field"] == required);
                assert!(named, "{method} {path}: the missing `{required}` is not named: {}", r.text);
            }
            bodies += 1;
        }
    }
    assert!(bodies >= 20 && paths >= 30, "only {bodies} bodies and {paths} path ids in the spec");
}

/// `If-Match` with a list of ETags succeeds when any of them is current
/// (RFC 9110 §13.1.1), and is a 412 when none is.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn if_match_takes_a_list(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendor = app.vendor(w.acme, "Listed", &["supplier"]).await;
    let url = format!("/api/v1/catalog/vendors/{vendor}");
    let tag = app.get(&url, &sales).await.header("etag").unwrap().to_owned();
    let stale = format!("\"vendor-{vendor}-0\"");
    let patch = |if_match: String, name: &'static str| {
        let (app, url, sales) = (&app, &url, &sales);
        async move {
            app.request(Method::PATCH, url, Some(sales), &[("If-Match", &if_match)], Some(json!({"name": name}))).await
        }
    };
    patch(format!("{stale}, W/{tag}"), "Weak").await.expect(412);
    patch(format!("{stale}, \"vendor-{vendor}-7\""), "Neither").await.expect(412);
    let r = patch(format!("{stale}, {tag}"), "Either").await;
    r.expect(200);
    assert_eq!(r.body["name"], "Either");
    // The delete takes a list too, and a missing row is 404 before any precondition.
    let tag = r.header("etag").unwrap().to_owned();
    app.request(Method::DELETE, &url, Some(&sales), &[("If-Match", &format!("{stale}, {tag}"))], None)
        .await
        .expect(204);
    app.request(Method::DELETE, &url, Some(&sales), &[("If-Match", &tag)], None).await.expect(404);
}

/// The served document states what the server enforces: every request body
/// object is closed (`additionalProperties: false`), money has its pattern,
/// dates are `format: date`, and path ids start at 1.
#[test]
fn the_document_states_what_the_server_enforces() {
    let doc: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let text = doc.to_string();
    assert!(!text.contains("naive-date"), "a date is still format naive-date");
    let mut closed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "path" && param["schema"]["type"] == "integer" {
                    assert_eq!(param["schema"]["minimum"], 1, "{method} {path} {}", param["name"]);
                }
                // The limits the server enforces (400 past them), in the schema.
                if param["name"] == "page_number" {
                    assert_eq!(param["schema"]["maximum"], f64::from(u32::MAX), "{method} {path}");
                }
                if param["name"] == "Idempotency-Key" {
                    let s = &param["schema"];
                    assert_eq!((&s["minLength"], &s["maxLength"]), (&1.into(), &255.into()));
                }
            }
            // Each operation documents the errors it can answer, not all of them.
            let responses = op["responses"].as_object().unwrap();
            let if_match = op["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "If-Match");
            assert_eq!(responses.contains_key("412"), if_match, "{method} {path}: 412");
            assert_eq!(responses.contains_key("415"), !op["requestBody"].is_null(), "{method} {path}: 415");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                let headers = responses["401"]["headers"].as_object();
                let challenge = headers.is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("WWW-Authenticate")));
                assert!(challenge, "{method} {path}: 401 without WWW-Authenticate");
            } else if !path.starts_with("/api/v1/auth/") {
                assert!(!responses.contains_key("401") && !responses.contains_key("403"), "{method} {path}");
            }
            assert_eq!(
                responses.contains_key("429"),
                path == "/api/v1/auth/login" || path.contains("/accounts"),
                "{method} {path}"
            );
            let Some(content) = op["requestBody"]["content"].as_object() else { continue };
            for media in content.values() {
                let Some(name) = media["schema"]["$ref"].as_str() else { continue };
                let schema = &doc["components"]["schemas"][name.trim_start_matches("#/components/schemas/")];
                if schema["type"] == "object" {
                    assert_eq!(schema["additionalProperties"], false, "{method} {path}: {name} is open");
                    closed += 1;
                }
            }
        }
    }
    assert!(closed >= 20, "only {closed} closed request bodies");
    let decimals = text.matches("\"format\":\"decimal\"").count();
    let patterned = text.matches("\"pattern\":\"^-?[0-9]+(\\\\.[0-9]+)?$\"").count();
    assert!(decimals > 0 && decimals == patterned, "{decimals} decimal strings, {patterned} with the pattern");
    let role = &doc["components"]["schemas"]["AccountPatch"]["properties"]["role"];
    assert!(role["enum"].as_array().unwrap().contains(&serde_json::Value::Null), "{role}");
}

/// Every list's examples are a request the server accepts: its `X-Fields`,
/// `filter` and `sort` examples together answer 200 (the fuzzer's examples
/// phase sends them as written).
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_lists_examples_are_accepted(pool: PgPool) {
    let app = TestApp::new(pool).await;
    crate::helpers::World::build(&app).await;
    let (root, _) = app.login("root").await;
    let doc: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        let params = get["parameters"].as_array().cloned().unwrap_or_default();
        let example = |name: &str| {
            params.iter().find(|p| p["name"] == name).and_then(|p| p["schema"]["example"].as_str().map(str::to_owned))
        };
        let (Some(mask), Some(sort)) = (example("X-Fields"), example("sort")) else { continue };
        let mut url = format!("{path}?sort={}", crate::helpers::enc(&sort));
        if let Some(filter) = example("filter") {
            url.push_str(&format!("&filter={}", crate::helpers::enc(&filter)));
        }
        let r = app.get_with(&url, &root, &[("X-Fields", &mask)]).await;
        assert!(
            r.status.as_u16() == 200 || (r.status.as_u16() == 403 && path.starts_with("/api/v1/storefront")),
            "{url} X-Fields {mask}: {}",
            r.text
        );
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} lists tried");
}

/// Creates link to what can be done with what they made, reads to the
/// operations under them; every link names an operation that exists and
/// fills exactly its path parameters.
#[test]
fn links_lead_from_creates_and_reads_to_real_operations() {
    let doc: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let mut ops = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            let params: std::collections::BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            ops.insert(op["operationId"].as_str().unwrap().to_owned(), (path.clone(), params));
        }
    }
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                    let target = link["operationId"].as_str().unwrap();
                    let (_, params) = ops.get(target).unwrap_or_else(|| panic!("{method} {path}: no {target}"));
                    let given: std::collections::BTreeSet<String> =
                        link["parameters"].as_object().unwrap().keys().cloned().collect();
                    assert_eq!(&given, params, "{method} {path} {status} → {target}");
                    count += 1;
                }
            }
        }
    }
    let links = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["links"].as_object().cloned().unwrap_or_default()
    };
    let campaign = links("/api/v1/organization/campaigns", "post", "201");
    assert_eq!(campaign["get_campaign"]["parameters"]["id"], "$response.body#/id");
    let order = links("/api/v1/orders/{id}", "get", "200");
    for target in ["transition_order", "edit_order_items", "add_order_note", "list_order_events"] {
        assert_eq!(order[target]["parameters"]["id"], "$request.path.id", "{target}");
    }
    assert!(count >= 40, "only {count} links");
}

/// A query parameter or header sent empty is a 400 naming it, not a silent
/// default: every one of them is `minLength: 1` in the spec.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn an_empty_parameter_is_refused_by_name(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    for (url, headers) in [
        ("/api/v1/orders", vec![("X-Fields", "")]),
        ("/api/v1/orders", vec![("X-Fields", "  ")]),
        ("/api/v1/orders?fields=", vec![]),
        ("/api/v1/orders?filter=", vec![]),
        ("/api/v1/orders?sort=", vec![]),
    ] {
        let r = app.get_with(url, &root, &headers).await;
        r.expect(400);
        let named = if headers.is_empty() { url.rsplit(['?', '=']).nth(1).unwrap() } else { "X-Fields" };
        assert!(r.text.contains(named), "{url} {headers:?}: {}", r.text);
    }
    app.get_with("/api/v1/orders", &root, &[("X-Fields", "{id}")]).await.expect(200);
}
