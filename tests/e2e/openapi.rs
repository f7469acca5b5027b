//! The OpenAPI document and its viewer, served by the running server without a token, under
//! every form of their paths an Oz client may send.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_document_and_its_viewer_are_served_without_a_token() {
    let app = spawn_app().await;
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    for path in ["/openapi.json", "//openapi.json", "/openapi.json/"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json", "{path}");
        let body = r.text().await.unwrap();
        assert_eq!(body, checked_in, "{path} is not docs/openapi.json");
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
    for path in ["/docs", "/docs/"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(r.headers().contains_key("content-security-policy"));
        assert!(r.text().await.unwrap().contains("/openapi.json"));
    }
    let r = app
        .client
        .post(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}
