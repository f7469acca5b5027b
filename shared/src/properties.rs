//! Property tests of what parses client input before any service sees it: the upload body
//! (`multipart/form-data` or a bare JSON payload), the `payload` fields of folder and person
//! uploads, query filters and access tokens. Whatever arrives, the answer is a typed client
//! error (an Oz 4xx) or a value within the bounds, never a panic and never a server error; a
//! well-formed body reads back exactly what was sent.

use axum::body::Body;
use axum::extract::Request;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::Error;
use crate::api::extract::QueryPairs;
use crate::api::multipart::read_parts;
use crate::app::Page;
use crate::app::auth::Tokens;
use crate::app::collections::PersonUpload;
use crate::app::media::{Upload, UploadFile};
use crate::config::InputLimits;
use crate::domain::clock::now_secs;
use crate::domain::objects::Session;
use crate::domain::{SessionId, UserId};

/// Small bounds, so that generated bodies reach them.
pub(crate) fn limits() -> InputLimits {
    InputLimits {
        max_body_bytes: 1 << 20,
        max_file_bytes: 300,
        max_files: 3,
        max_json_bytes: 200,
        media: media_decode::Limits::default(),
    }
}

/// A refusal a client can act on: any Oz error answered with a 4xx status.
fn is_client_error(e: &Error) -> bool {
    e.code_and_status().1.is_client_error()
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(f)
}

fn request(content_type: Option<&str>, body: Vec<u8>) -> Request {
    let mut r = Request::builder().method("POST").uri("/api/folders/");
    if let Some(ct) = content_type {
        r = r.header(http::header::CONTENT_TYPE, ct);
    }
    r.body(Body::from(body)).expect("a request")
}

/// One part of a generated multipart body.
#[derive(Debug, Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

fn form_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(&b"abcdefgh_0123:"[..]), 1..10)
            .prop_map(|b| String::from_utf8(b).expect("ascii")),
        1 => Just("payload".to_string()),
        1 => Just(String::new()),
        1 => Just("x".repeat(129)),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    (
        form_name(),
        prop::option::of(prop_oneof![
            Just("a.jpg".to_string()),
            Just("clip.mp4".to_string())
        ]),
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..400),
            1 => Just(br#"{"media:tags": {"a": ["photo_selfie"]}}"#.to_vec()),
            1 => Just(b"{not json".to_vec()),
        ],
    )
        .prop_map(|(name, file_name, bytes)| Part {
            name,
            file_name,
            bytes,
        })
}

const BOUNDARY: &str = "pRoPtEsT-7e1f";

fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match &p.file_name {
            Some(f) => format!("form-data; name=\"{}\"; filename=\"{f}\"", p.name),
            None => format!("form-data; name=\"{}\"", p.name),
        };
        out.extend_from_slice(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
        out.extend_from_slice(&p.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// What [`read_parts`] must answer for well-formed `parts`: the files, or that it refuses.
fn expected(parts: &[Part], l: &InputLimits) -> Option<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut payloads = 0;
    for p in parts {
        if p.name.is_empty() || p.name.len() > 128 {
            return None;
        }
        if p.name == "payload" {
            payloads += 1;
            let fits = p.bytes.len() <= l.max_json_bytes;
            if payloads > 1 || !fits || serde_json::from_slice::<Value>(&p.bytes).is_err() {
                return None;
            }
        } else if !p.bytes.is_empty() {
            let taken = files.iter().any(|(k, _)| k == &p.name);
            if p.bytes.len() > l.max_file_bytes || files.len() == l.max_files || taken {
                return None;
            }
            files.push((p.name.clone(), p.bytes.clone()));
        }
    }
    Some(files)
}

/// Keys the upload payloads know, so generated objects reach their checks.
const PAYLOAD_KEYS: &[&str] = &[
    "media:tags",
    "media:meta_data",
    "folder:meta_data",
    "person:meta_data",
    "analyses",
    "resolution_endpoint",
    "a",
    "b",
    "type",
    "photo_selfie",
    "video_selfie_blank",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(PAYLOAD_KEYS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(PAYLOAD_KEYS), inner, 0..6).prop_map(
                |m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

fn upload_files(keys: &[&'static str]) -> Vec<UploadFile> {
    keys.iter()
        .map(|k| UploadFile {
            form_key: (*k).to_string(),
            file_name: format!("{k}.jpg"),
            bytes: bytes::Bytes::from_static(b"\xFF\xD8\xFF"),
        })
        .collect()
}

/// Values a query filter meets: numbers at the edges, words, other notations.
fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "-1",
                "0",
                "1",
                "5000",
                "5001",
                "-2",
                "1e3",
                "1e400",
                "NaN",
                "inf",
                "-inf",
                "true",
                "FALSE",
                "yes",
                "",
                " 1",
                "0x10",
                "18446744073709551616",
                "1722470400000",
                "1722470400.5",
            ][..]
        )
        .prop_map(str::to_string),
        ".{0,8}",
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
    ]
}

fn session() -> Session {
    Session {
        session_id: SessionId::new(),
        user_id: UserId::new(),
        expires_at: now_secs() + 600,
        refresh_expires_at: now_secs() + 1200,
        refresh_hash: String::new(),
        replaces: None,
        refreshed: false,
        long_lived: false,
        folder_scope: None,
    }
}

const SECRET: &[u8] = b"property-test-secret-of-32-bytes";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

proptest! {
    // 256 cases each by default; `PROPTEST_CASES=N` runs more.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn well_formed_multipart_reads_back_what_was_sent(parts in prop::collection::vec(part(), 0..6)) {
        let l = limits();
        let body = multipart_body(&parts);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let got = block_on(read_parts(request(Some(&ct), body), &l));
        match (expected(&parts, &l), got) {
            (Some(want), Ok((files, _))) => {
                let files: Vec<_> = files.into_iter().map(|f| (f.form_key, f.bytes.to_vec())).collect();
                prop_assert_eq!(files, want);
            }
            (None, Err(e)) => prop_assert!(is_client_error(&e), "{e:?}"),
            (want, got) => prop_assert!(false, "expected {want:?}, read {got:?}"),
        }
    }

    #[test]
    fn damaged_multipart_is_a_client_error_or_within_bounds(
        parts in prop::collection::vec(part(), 1..5),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<usize>()),
    ) {
        let l = limits();
        let mut body = multipart_body(&parts);
        for (at, v) in &flips {
            let i = at % body.len();
            body[i] = *v;
        }
        if let Some(c) = cut {
            body.truncate(c % body.len());
        }
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        match block_on(read_parts(request(Some(&ct), body), &l)) {
            Ok((files, _)) => {
                prop_assert!(files.len() <= l.max_files);
                prop_assert!(files.iter().all(|f| f.bytes.len() <= l.max_file_bytes && !f.bytes.is_empty()));
            }
            Err(e) => prop_assert!(is_client_error(&e), "{e:?}"),
        }
    }

    #[test]
    fn other_bodies_are_a_payload_or_a_client_error(
        content_type in prop::option::of(prop::sample::select(&[
            "application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=",
            "multipart/mixed; boundary=x", "application/x-www-form-urlencoded", "t\u{e9}xt/plain",
        ][..])),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            json_value().prop_map(|v| v.to_string().into_bytes()),
        ],
    ) {
        let l = limits();
        match block_on(read_parts(request(content_type, body.clone()), &l)) {
            Ok((files, _)) => prop_assert!(files.len() <= l.max_files),
            Err(e) => prop_assert!(is_client_error(&e), "{e:?}"),
        }
    }

    #[test]
    fn upload_payloads_are_checked_not_trusted(
        payload in prop::option::of(json_value()),
        keys in prop::sample::subsequence(&["a", "b", "photo_selfie"][..], 0..=3),
    ) {
        let files = upload_files(&keys);
        match Upload::new(files.clone(), payload.clone()) {
            Ok(u) => {
                prop_assert!(u.tags.keys().chain(u.media_meta.keys()).all(|k| keys.contains(&k.as_str())));
            }
            Err(e) => prop_assert!(is_client_error(&e), "{e:?}"),
        }
        match PersonUpload::new(files, payload) {
            Ok(p) => prop_assert!(p.tags.keys().all(|k| keys.contains(&k.as_str()))),
            Err(e) => prop_assert!(is_client_error(&e), "{e:?}"),
        }
    }

    #[test]
    fn query_filters_are_in_range_or_refused(
        pairs in prop::collection::vec(
            (prop::sample::select(&["limit", "offset", "total_omit", "time_created.min", "time_created.max"][..]), query_value()),
            0..6,
        ),
        raw in ".{0,40}",
    ) {
        let encoded = serde_urlencoded::to_string(&pairs).expect("pairs encode");
        for q in [encoded.as_str(), raw.as_str()] {
            let Ok(parsed) = serde_urlencoded::from_str::<Vec<(String, String)>>(q) else { continue };
            let q = QueryPairs(parsed);
            match q.page() {
                Ok(p) => prop_assert!((1..=Page::MAX_LIMIT).contains(&p.limit)),
                Err(e) => prop_assert!(matches!(e, Error::InvalidValue(_)), "{e:?}"),
            }
            for key in ["time_created.min", "time_created.max"] {
                match q.time(key) {
                    Ok(Some(t)) => prop_assert!(t.is_finite(), "{t}"),
                    Ok(None) => prop_assert!(q.get(key).is_none()),
                    Err(e) => prop_assert!(matches!(e, Error::InvalidValue(_)), "{e:?}"),
                }
            }
        }
    }

    #[test]
    fn forged_tokens_are_refused(token in prop_oneof![
        ".{0,300}",
        (".{0,60}", ".{0,60}", ".{0,60}").prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        prop::collection::vec(prop::sample::select(BASE64URL), 0..200)
            .prop_map(|b| String::from_utf8(b).expect("ascii")),
    ]) {
        let e = Tokens::new(SECRET).verify(&token, true).expect_err("a forged token verified");
        prop_assert!(matches!(e, Error::AuthInvalid(_) | Error::AuthExpired), "{e:?}");
    }

    #[test]
    fn a_changed_character_breaks_a_real_token(at in any::<usize>(), with in prop::sample::select(BASE64URL)) {
        let tokens = Tokens::new(SECRET);
        let token = tokens.issue(&session()).expect("issue");
        let i = at % token.len();
        prop_assume!(token.as_bytes()[i] != with);
        let mut changed = token.into_bytes();
        changed[i] = with;
        let changed = String::from_utf8(changed).expect("ascii");
        let e = tokens.verify(&changed, true).expect_err("a changed token verified");
        prop_assert!(matches!(e, Error::AuthInvalid(_)), "{e:?}");
    }
}

#[test]
fn tokens_of_another_key_or_algorithm_are_refused() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let tokens = Tokens::new(SECRET);
    let real = tokens.issue(&session()).unwrap();
    assert!(tokens.verify(&real, true).is_ok());
    let claims = tokens.verify(&real, true).unwrap();
    let other_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"another-secret-another-secret-00"),
    )
    .unwrap();
    let other_alg = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    // `alg: none` with the real claims and no signature.
    let mut parts = real.split('.');
    let _ = parts.next();
    let unsigned = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        parts.next().unwrap()
    );
    for t in [other_key, other_alg, unsigned] {
        assert!(
            matches!(tokens.verify(&t, true), Err(Error::AuthInvalid(_))),
            "{t}"
        );
    }
}

#[test]
fn the_generated_multipart_is_what_a_client_sends() {
    let parts = [
        Part {
            name: "a".into(),
            file_name: Some("a.jpg".into()),
            bytes: b"jpeg".to_vec(),
        },
        Part {
            name: "payload".into(),
            file_name: None,
            bytes: br#"{"media:tags": {"a": ["photo_selfie"]}}"#.to_vec(),
        },
    ];
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let (files, payload) = block_on(read_parts(
        request(Some(&ct), multipart_body(&parts)),
        &limits(),
    ))
    .unwrap();
    assert_eq!((files.len(), files[0].file_name.as_str()), (1, "a.jpg"));
    assert_eq!(
        payload.unwrap()["media:tags"],
        json!({"a": ["photo_selfie"]})
    );
}
