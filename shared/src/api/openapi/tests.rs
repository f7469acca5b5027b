//! The document held to the code.
//!
//! **Routes.** Axum routers cannot be listed, so the route table is read from the source: every
//! `.route("path", get(..).post(..))` call in the product code of `src/api` (the router, API
//! Lite, and any file a route moves to; not test modules) is parsed for its path literal and the method routers at
//! the top level of its second argument. That set must equal the document's operations, both
//! ways. A route the parser cannot read (a non-literal path, an unknown method router, `nest`)
//! fails the test rather than being skipped, so the one table — the `.route` calls — cannot
//! drift from the document. `router::meta_data()` is the
//! `meta_data` handler on GET, POST, PATCH and DELETE; `any(..)` is refused.
//!
//! **File.** `docs/openapi.json` must be what the code generates; `OZ_WRITE_OPENAPI=1 cargo test
//! -p shared --lib openapi` rewrites it.
//!
//! **Schemas.** Documents serialised by the code that answers them (views, domain structs, the
//! error body) must have every key in their schema, every required key, and values of the
//! schema's types and enums; request schemas must name exactly the fields the request structs
//! accept (read from serde's unknown-field message), and a body built from a schema must
//! deserialise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::app::Page;
use crate::app::evaluate::BestShot;
use crate::app::instant::InstantFolder;
use crate::app::uploads::upload_view;
use crate::app::{auth::TokenPair, views};
use crate::domain::analysis::{Analysis, AnalysisState, AnalysisType, ResultMedia, Thresholds};
use crate::domain::collection::{Collection, CollectionTag, Person, PersonImage};
use crate::domain::objects::{
    Company, Folder, FolderStatus, Media, MediaType, PendingUpload, Resolution, UploadState, User,
};
use crate::domain::{
    AnalysisId, CollectionId, CompanyId, FolderId, MediaId, PersonId, PersonImageId, Role, UserId,
};
use crate::ports::PresignedPut;

fn spec() -> Value {
    serde_json::from_str(&super::document_json()).expect("the document is JSON")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---- the checked-in file -----------------------------------------------------------------------

#[test]
fn checked_in_document_is_what_the_code_generates() {
    let path = repo_root().join("docs/openapi.json");
    let generated = super::document_json();
    if std::env::var_os("OZ_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("docs/openapi.json is writable");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json differs from the document the code generates; regenerate it with \
         `OZ_WRITE_OPENAPI=1 cargo test --workspace --lib openapi` and commit it"
    );
}

// ---- routes ------------------------------------------------------------------------------------

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `code` without `//` comment lines and without its inline test module.
fn product_code(code: &str) -> String {
    let code = code.split("#[cfg(test)]\nmod tests {").next().unwrap();
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers called at the top level of `expr` (`get(a).post(b)` → `get`, `post`).
fn top_level_calls(expr: &str) -> Vec<String> {
    let mut calls = Vec::new();
    let mut depth = 0usize;
    let mut ident = String::new();
    for c in expr.chars() {
        if c.is_alphanumeric() || c == '_' {
            ident.push(c);
            continue;
        }
        if c == '(' {
            if depth == 0 && !ident.is_empty() {
                calls.push(ident.clone());
            }
            depth += 1;
        } else if c == ')' {
            depth -= 1;
        }
        ident.clear();
    }
    calls
}

/// The HTTP methods a method router constructor routes.
fn methods_of(router: &str, path: &str) -> Vec<&'static str> {
    match router {
        "get" => vec!["GET"],
        "post" => vec!["POST"],
        "put" => vec!["PUT"],
        "patch" => vec!["PATCH"],
        "delete" => vec!["DELETE"],
        // `router::meta_data()`: the one `metadata::handle` on these four methods.
        "meta_data" => vec!["GET", "POST", "PATCH", "DELETE"],
        other => panic!("route {path}: method router `{other}(..)` is not known to this test"),
    }
}

/// Every `(METHOD, path)` the `.route(..)` calls of `code` mount, paths in OpenAPI form.
fn routes_in(code: &str, file: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(".route(") {
        rest = rest[i + ".route(".len()..].trim_start();
        let Some(literal) = rest.strip_prefix('"') else {
            panic!("{file}: a .route( whose path is not a string literal cannot be checked");
        };
        let end = literal.find('"').unwrap();
        let path = literal[..end].replace("{*", "{");
        let mut after = literal[end + 1..].trim_start();
        after = after.strip_prefix(',').unwrap_or(after);
        // The method router: up to the `)` that closes `.route(`.
        let mut depth = 0usize;
        let close = after
            .char_indices()
            .find(|&(_, c)| match c {
                '(' => {
                    depth += 1;
                    false
                }
                ')' if depth == 0 => true,
                ')' => {
                    depth -= 1;
                    false
                }
                _ => false,
            })
            .map(|(k, _)| k)
            .unwrap_or_else(|| panic!("{file}: route {path} is not closed"));
        let calls = top_level_calls(&after[..close]);
        assert!(!calls.is_empty(), "{file}: route {path} names no method");
        for call in calls {
            for m in methods_of(&call, &path) {
                out.insert((m.to_string(), path.clone()));
            }
        }
        rest = &after[close..];
    }
    out
}

/// The routes of every product source file of `src/api` (test modules, `tests.rs`, left out).
fn mounted_routes() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut out = BTreeSet::new();
    for path in sources(&dir) {
        if path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let code = product_code(&std::fs::read_to_string(&path).unwrap());
        let file = path.display().to_string();
        for unreadable in [".nest(", ".nest_service(", ".route_service("] {
            assert!(
                !code.contains(unreadable),
                "{file} uses {unreadable}: teach this test where those routes go"
            );
        }
        out.extend(routes_in(&code, &file));
    }
    out
}

/// Every `(METHOD, path)` the document has an operation for.
fn documented_operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_route_parser_reads_method_chains() {
    let code = r#"Router::new()
        .route("/a/{id}", get(m::get).patch(m::update).delete(m::delete))
        .route_layer(x)
        .route(
            "/b/{*key}",
            axum::routing::delete(f::delete_image),
        )
        .route("/c", meta_data());"#;
    let got = routes_in(code, "test");
    let want: BTreeSet<_> = [
        ("GET", "/a/{id}"),
        ("PATCH", "/a/{id}"),
        ("DELETE", "/a/{id}"),
        ("DELETE", "/b/{key}"),
        ("GET", "/c"),
        ("POST", "/c"),
        ("PATCH", "/c"),
        ("DELETE", "/c"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn every_route_has_an_operation_and_every_operation_a_route() {
    let mounted = mounted_routes();
    let documented = documented_operations(&spec());
    assert!(
        mounted.len() > 50,
        "only {} routes found: is the parser still reading the router?",
        mounted.len()
    );
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an operation in the OpenAPI document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "operations in the OpenAPI document that no route serves: {unrouted:?}"
    );
}

#[test]
fn operations_have_unique_ids_and_error_answers_of_the_oz_body() {
    let spec = spec();
    let mut ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_string()),
                "{method} {path}: operationId {id:?} twice"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path}: no 500");
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let body = match r.get("$ref").and_then(Value::as_str) {
                        Some(r) => {
                            let name = r.rsplit('/').next().unwrap();
                            spec["components"]["responses"][name].clone()
                        }
                        // Lite health answers its own body with 503.
                        None => continue,
                    };
                    assert_eq!(
                        body["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

// ---- schemas -----------------------------------------------------------------------------------

/// The schema `s` refers to, through `$ref`s.
fn resolve<'a>(spec: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            let target = &spec["components"]["schemas"][name];
            assert!(!target.is_null(), "{r} is not in the document");
            resolve(spec, target)
        }
        None => s,
    }
}

fn component<'a>(spec: &'a Value, name: &str) -> &'a Value {
    let s = &spec["components"]["schemas"][name];
    assert!(!s.is_null(), "schema {name} is not in the document");
    s
}

/// The JSON types a schema allows (none listed: any).
fn types(s: &Value) -> Vec<&str> {
    match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(l) => l.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn json_type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// Records in `errs` where `doc` departs from `schema`.
fn check(spec: &Value, schema: &Value, doc: &Value, at: &str, errs: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        if doc.is_null() && alts.iter().any(|a| types(a) == ["null"]) {
            return;
        }
        let rest: Vec<_> = alts.iter().filter(|a| types(a) != ["null"]).collect();
        match rest.as_slice() {
            [one] => check(spec, one, doc, at, errs),
            _ => errs.push(format!("{at}: oneOf with several schemas is not checked")),
        }
        return;
    }
    let allowed = types(schema);
    if !allowed.is_empty() && !allowed.iter().any(|t| json_type_matches(t, doc)) {
        errs.push(format!("{at}: {doc} is not of type {allowed:?}"));
        return;
    }
    if let (Some(values), Value::String(_)) = (schema.get("enum").and_then(Value::as_array), doc)
        && !values.contains(doc)
    {
        errs.push(format!("{at}: {doc} is not one of {values:?}"));
    }
    match doc {
        Value::Object(map) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (k, v) in map {
                match props.get(k) {
                    Some(p) => check(spec, p, v, &format!("{at}.{k}"), errs),
                    None => errs.push(format!("{at}.{k}: in the document, not in the schema")),
                }
            }
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !map.contains_key(r) {
                    errs.push(format!(
                        "{at}.{r}: required by the schema, not in the document"
                    ));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(spec, item, v, &format!("{at}[{i}]"), errs);
                }
            }
        }
        _ => {}
    }
}

fn assert_fits(spec: &Value, name: &str, doc: &Value) {
    let mut errs = Vec::new();
    check(spec, component(spec, name), doc, name, &mut errs);
    assert!(
        errs.is_empty(),
        "a real {name} document does not fit its schema:\n{}",
        errs.join("\n")
    );
}

fn value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn folder() -> Folder {
    Folder {
        folder_id: FolderId::new(),
        company_id: CompanyId::new(),
        user_id: UserId::new(),
        resolution_status: FolderStatus::Finished,
        system_resolution: Resolution::Declined,
        meta_data: object(json!({"case": "x"})),
        technical_meta_data: Map::new(),
        time_created: 1.7e9,
        time_updated: 1.7e9,
    }
}

fn media(f: &Folder, media_type: MediaType, tag: &str) -> Media {
    Media {
        media_id: MediaId::new(),
        folder_id: f.folder_id,
        company_id: f.company_id,
        user_id: f.user_id,
        original_name: "selfie.jpg".into(),
        media_type,
        tags: vec![tag.into()],
        meta_data: Map::new(),
        technical_meta_data: object(json!({"width": 640, "height": 480})),
        time_created: 1.7e9,
        time_updated: 1.7e9,
    }
}

fn analysis(f: &Folder, m: &Media, kind: AnalysisType) -> Analysis {
    Analysis {
        analysis_id: AnalysisId::new(),
        folder_id: f.folder_id,
        company_id: f.company_id,
        user_id: f.user_id,
        group_id: AnalysisId::new(),
        kind,
        state: AnalysisState::Finished,
        resolution_status: Resolution::Declined,
        source_media: vec![m.media_id],
        results_media: vec![
            ResultMedia {
                source_media_id: Some(m.media_id),
                results_data: object(json!({"confidence_spoofing": 0.9})),
                resolution_status: Some(Resolution::Declined),
                error_message: None,
                output_keys: vec!["k".into()],
            },
            ResultMedia {
                source_media_id: None,
                results_data: Map::new(),
                resolution_status: None,
                error_message: Some("no face found".into()),
                output_keys: Vec::new(),
            },
        ],
        results_data: Map::new(),
        params: Map::new(),
        error_code: None,
        error_message: None,
        engine: Some(json!({"models": []})),
        resolution_endpoint: Some("https://example.com/hook".into()),
        collection: (kind == AnalysisType::Collection).then(|| CollectionTag {
            collection_id: CollectionId::new(),
            alias: "wanted".into(),
        }),
        meta_data: Map::new(),
        technical_meta_data: object(json!({"webhook": {"state": "WAITING", "attempts": []}})),
        time_created: 1.7e9,
        time_updated: 1.7e9,
    }
}

fn company() -> Company {
    Company {
        company_id: CompanyId::new(),
        name: "Acme".into(),
        in_deletion: false,
        meta_data: Map::new(),
        technical_meta_data: Map::new(),
        analysis_thresholds: Thresholds {
            operator_band: Some(0.7),
            ..Thresholds::default()
        },
        time_created: 1.7e9,
        time_updated: 1.7e9,
    }
}

fn user(role: Role) -> User {
    User {
        user_id: UserId::new(),
        company_id: CompanyId::new(),
        email: "a@b.c".into(),
        first_name: String::new(),
        last_name: String::new(),
        middle_name: String::new(),
        user_type: role,
        is_active: true,
        can_start_analysis_biometry: true,
        can_start_analysis_quality: true,
        can_start_analysis_collection: true,
        can_start_analysis_documents: false,
        meta_data: Map::new(),
        technical_meta_data: Map::new(),
        time_created: 1.7e9,
        time_updated: 1.7e9,
    }
}

#[test]
fn folder_media_and_analysis_documents_fit_their_schemas() {
    let spec = spec();
    let f = folder();
    let photo = media(&f, MediaType::ImageFolder, "photo_selfie");
    let video = media(&f, MediaType::VideoFolder, "video_selfie_blank");
    let shot = BestShot {
        media_id: photo.media_id,
        jpeg: Bytes::from_static(b"\xff\xd8"),
    };
    let analyses = [
        AnalysisType::Quality,
        AnalysisType::Biometry,
        AnalysisType::Collection,
    ]
    .map(|k| (analysis(&f, &photo, k), vec![shot.clone()]));
    let instant = InstantFolder {
        folder: f.clone(),
        media: vec![photo, video],
        analyses: analyses.into(),
    };
    let mut doc = views::instant_folder(&instant);
    assert_fits(&spec, "Folder", &doc);
    for a in doc["analyses"].as_array().unwrap() {
        assert_fits(&spec, "Analysis", a);
    }
    doc["user"] = value(&user(Role::Client));
    doc["company"] = value(&company());
    assert_fits(&spec, "Folder", &doc);
    let page = Page {
        offset: 0,
        limit: 100,
        total_omit: false,
    };
    assert_fits(
        &spec,
        "FolderList",
        &value(&views::list(vec![doc.clone()], page, 1)),
    );
    let omitted = Page {
        total_omit: true,
        ..page
    };
    assert_fits(
        &spec,
        "FolderList",
        &value(&views::list(vec![doc], omitted, 1)),
    );
}

#[test]
fn user_company_and_token_documents_fit_their_schemas() {
    let spec = spec();
    for role in Role::ALL {
        assert_fits(&spec, "User", &value(&user(role)));
    }
    assert_fits(&spec, "Company", &value(&company()));
    let pair = TokenPair {
        access_token: "a".into(),
        expire_token: "e".into(),
        expire_date: 1_700_000_000,
        user: user(Role::Admin),
    };
    assert_fits(&spec, "TokenPair", &value(&pair));
    let page = Page {
        offset: 5,
        limit: 10,
        total_omit: false,
    };
    assert_fits(
        &spec,
        "CompanyList",
        &value(&views::list_of(&[company()], page, 6)),
    );
    assert_fits(
        &spec,
        "UserList",
        &value(&views::list_of(&[user(Role::Operator)], page, 6)),
    );
}

#[test]
fn collection_documents_fit_their_schemas() {
    let spec = spec();
    let c = Collection {
        collection_id: CollectionId::new(),
        company_id: CompanyId::new(),
        alias: "wanted".into(),
        description: String::new(),
        meta_data: Map::new(),
        technical_meta_data: Map::new(),
        revision: 3,
        time_created: 1.7e9,
        time_updated: 1.7e9,
    };
    let p = Person {
        person_id: PersonId::new(),
        collection_id: c.collection_id,
        company_id: c.company_id,
        meta_data: Map::new(),
        technical_meta_data: Map::new(),
        image_count: 1,
        time_created: 1.7e9,
        time_updated: 1.7e9,
    };
    let i = PersonImage {
        person_image_id: PersonImageId::new(),
        person_id: p.person_id,
        collection_id: c.collection_id,
        company_id: c.company_id,
        original_name: "face.jpg".into(),
        tags: vec!["photo_selfie".into()],
        technical_meta_data: object(json!({"face_box": [1, 2, 3, 4]})),
        time_created: 1.7e9,
        time_updated: 1.7e9,
    };
    // As `views::person_image` and `views::person` show them.
    let mut image = value(&i);
    image["original_url"] = json!("https://files/x");
    let mut person = value(&p);
    assert_fits(&spec, "Person", &person);
    person["images"] = json!([image.clone()]);
    assert_fits(&spec, "Person", &person);
    assert_fits(&spec, "PersonImage", &image);
    assert_fits(&spec, "Collection", &value(&c));
    let page = Page {
        offset: 0,
        limit: 100,
        total_omit: false,
    };
    assert_fits(
        &spec,
        "CollectionList",
        &value(&views::list_of(&[c], page, 1)),
    );
    assert_fits(&spec, "PersonList", &value(&views::list_of(&[p], page, 1)));
    assert_fits(
        &spec,
        "PersonImageList",
        &value(&views::list(vec![image], page, 1)),
    );
}

#[test]
fn upload_documents_fit_their_schemas() {
    let spec = spec();
    let mut u = PendingUpload {
        media_id: MediaId::new(),
        folder_id: FolderId::new(),
        company_id: CompanyId::new(),
        user_id: UserId::new(),
        original_name: "v.mp4".into(),
        content_type: "video/mp4".into(),
        size: 12,
        tags: vec!["video_selfie".into()],
        meta_data: Map::new(),
        state: UploadState::Pending,
        reason: None,
        time_created: 1.7e9,
        url_expires_at: 1_700_000_000,
    };
    let put = PresignedPut {
        url: "http://h/files/k".into(),
        headers: [("content-type".to_string(), "video/mp4".to_string())].into(),
    };
    assert_fits(&spec, "UploadTicket", &upload_view(&u, Some(&put)));
    u.state = UploadState::Rejected;
    u.reason = Some("not a video".into());
    assert_fits(&spec, "PendingUpload", &upload_view(&u, None));
}

#[tokio::test]
async fn error_and_version_documents_fit_their_schemas() {
    use http_body_util::BodyExt;
    let spec = spec();
    for e in [
        crate::Error::NotFound("folder"),
        crate::Error::AuthNotProvided,
        crate::Error::TooLarge("big".into()),
    ] {
        let body = axum::response::IntoResponse::into_response(e).into_body();
        let bytes = body.collect().await.unwrap().to_bytes();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_fits(&spec, "ErrorBody", &doc);
    }
    let version = crate::api::routes::auth::version().await;
    assert_fits(&spec, "Version", &version.0);
}

/// The schema's enum values.
fn enum_values(spec: &Value, name: &str) -> Vec<Value> {
    component(spec, name)["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} has no enum"))
        .clone()
}

#[test]
fn enums_list_every_value_the_code_writes() {
    let spec = spec();
    let cases: [(&str, Vec<Value>); 7] = [
        ("Role", Role::ALL.iter().map(value).collect()),
        (
            "FolderStatus",
            [
                FolderStatus::Initial,
                FolderStatus::Processing,
                FolderStatus::Failed,
                FolderStatus::Finished,
            ]
            .iter()
            .map(value)
            .collect(),
        ),
        (
            "Resolution",
            [
                Resolution::Initial,
                Resolution::Processing,
                Resolution::Failed,
                Resolution::Success,
                Resolution::Declined,
                Resolution::OperatorRequired,
            ]
            .iter()
            .map(value)
            .collect(),
        ),
        (
            "MediaType",
            [
                MediaType::ImageFolder,
                MediaType::VideoFolder,
                MediaType::ShotsSet,
            ]
            .iter()
            .map(value)
            .collect(),
        ),
        (
            "AnalysisType",
            [
                AnalysisType::Quality,
                AnalysisType::Biometry,
                AnalysisType::Collection,
                AnalysisType::Documents,
            ]
            .iter()
            .map(value)
            .collect(),
        ),
        (
            "AnalysisState",
            [
                AnalysisState::Processing,
                AnalysisState::Failed,
                AnalysisState::Finished,
            ]
            .iter()
            .map(value)
            .collect(),
        ),
        (
            "UploadState",
            [UploadState::Pending, UploadState::Rejected]
                .iter()
                .map(value)
                .collect(),
        ),
    ];
    for (name, written) in cases {
        assert_eq!(enum_values(&spec, name), written, "{name}");
    }
}

// ---- request bodies ----------------------------------------------------------------------------

/// A value of `schema` with every property set.
fn sample(spec: &Value, schema: &Value) -> Value {
    let s = resolve(spec, schema);
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        let one = alts.iter().find(|a| types(a) != ["null"]).unwrap();
        return sample(spec, one);
    }
    let t = types(s).into_iter().find(|t| *t != "null");
    match t {
        Some("object") => {
            let props = s.get("properties").and_then(Value::as_object);
            Value::Object(
                props
                    .into_iter()
                    .flatten()
                    .map(|(k, p)| (k.clone(), sample(spec, p)))
                    .collect(),
            )
        }
        Some("array") => json!([sample(spec, &s["items"])]),
        Some("string") if s["format"] == "uuid" => json!(uuid::Uuid::new_v4()),
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(0.5),
        Some("boolean") => json!(true),
        _ => Value::Null,
    }
}

/// The fields a `deny_unknown_fields` struct accepts, from serde's unknown-field message.
fn accepted_fields<T: DeserializeOwned>() -> BTreeSet<String> {
    let err = match serde_json::from_value::<T>(json!({"__probe__": 1})) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{} accepts an unknown field", std::any::type_name::<T>()),
    };
    let expected = err
        .split_once("expected")
        .unwrap_or_else(|| panic!("{err}"))
        .1;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `T` takes exactly the properties of schema `name`, and a body with all of them.
fn assert_request<T: DeserializeOwned>(spec: &Value, name: &str, aliases: &[&str]) {
    let schema = component(spec, name);
    let documented: BTreeSet<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut accepted = accepted_fields::<T>();
    for a in aliases {
        accepted.remove(*a);
    }
    assert_eq!(
        documented, accepted,
        "{name}: documented vs accepted fields"
    );
    let body = sample(spec, schema);
    if let Err(e) = serde_json::from_value::<T>(body.clone()) {
        panic!("{name}: {body} does not deserialise: {e}");
    }
}

#[test]
fn request_schemas_name_exactly_the_fields_the_code_accepts() {
    use crate::api::routes::{auth, media};
    use crate::app::{analyses, collections, companies, uploads, users};
    let spec = spec();
    assert_request::<auth::Login>(&spec, "Login", &[]);
    assert_request::<auth::Credentials>(&spec, "Credentials", &[]);
    assert_request::<auth::Refresh>(&spec, "Refresh", &[]);
    assert_request::<companies::NewCompany>(&spec, "NewCompany", &[]);
    assert_request::<companies::CompanyPatch>(&spec, "CompanyPatch", &[]);
    assert_request::<Thresholds>(&spec, "ThresholdsChange", &[]);
    assert_request::<users::NewUser>(&spec, "NewUser", &[]);
    assert_request::<users::UserPatch>(&spec, "UserPatch", &[]);
    assert_request::<analyses::StartAnalyses>(&spec, "StartAnalyses", &[]);
    assert_request::<analyses::AnalysisRequest>(&spec, "AnalysisRequest", &[]);
    assert_request::<analyses::OperatorDecision>(&spec, "OperatorDecision", &[]);
    assert_request::<media::MediaPatch>(&spec, "MediaPatch", &[]);
    assert_request::<uploads::UploadsBody>(&spec, "UploadsBody", &[]);
    assert_request::<uploads::UploadRequest>(&spec, "UploadRequest", &["key"]);
    assert_request::<collections::NewCollection>(&spec, "NewCollection", &[]);
}

#[test]
fn upload_payload_schemas_are_what_the_payload_parsers_take() {
    let spec = spec();
    let folder = sample(&spec, component(&spec, "FolderPayload"));
    crate::app::media::Upload::new(Vec::new(), Some(folder.clone()))
        .unwrap_or_else(|e| panic!("{folder}: {e}"));
    let person = sample(&spec, component(&spec, "PersonPayload"));
    crate::app::collections::PersonUpload::new(Vec::new(), Some(person.clone()))
        .unwrap_or_else(|e| panic!("{person}: {e}"));
    // A field the schema does not list is refused by the parser.
    let mut extra = folder;
    extra["media:unknown"] = json!({});
    assert!(crate::app::media::Upload::new(Vec::new(), Some(extra)).is_err());
}

// ---- serving -----------------------------------------------------------------------------------

#[tokio::test]
async fn the_document_and_its_page_are_served() {
    use http_body_util::BodyExt;
    let doc = super::document().await;
    assert_eq!(doc.headers()["content-type"], "application/json");
    let bytes = doc.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes, super::document_json().as_bytes());
    let page = super::page().await;
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(page.headers().contains_key(h), "{h}");
    }
    let html = page.into_body().collect().await.unwrap().to_bytes();
    let html = std::str::from_utf8(&html).unwrap();
    assert!(html.contains("/openapi.json"));
    for external in ["http://", "https://", "//cdn"] {
        assert!(!html.contains(external), "the page names {external}");
    }
}
