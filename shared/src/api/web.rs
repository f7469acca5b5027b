//! The console (`/`) and the liveness capture page (`/capture`), with the embeddable capture
//! script: plain HTML, CSS and ES modules under `shared/web/`, compiled into the binary so that
//! every deployment serves them from the API's own origin. Same origin means the pages call the
//! API without CORS and a deployment needs no CDN, bucket website or build step; on AWS the auth
//! function serves them (the files are ~100 KB, read from memory).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Error;

/// One file of `shared/web/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../web/", $name)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file the pages load. A new file is added here and nowhere else.
const ASSETS: &[Asset] = &[
    asset!("console.html", HTML),
    asset!("capture.html", HTML),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("api.js", JS),
    asset!("console.js", JS),
    asset!("views.js", JS),
    asset!("capture.js", JS),
    asset!("capture-page.js", JS),
    asset!("camera.js", JS),
    asset!("zip.js", JS),
    asset!("oz-liveness.js", JS),
];

/// The pages' policy: scripts and styles only from this origin; images also from the signed
/// media URLs (S3 in AWS mode) and captured frames (`blob:`); the camera (`getUserMedia`) for
/// this origin. `frame-ancestors *` because the capture page is meant to be framed by an
/// integrator's page (`oz-liveness.js`); the console itself never is (`X-Frame-Options`).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; \
     media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'";

fn serve(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return Error::NotFound("file").into_response();
    };
    let framed = matches!(name, "capture.html");
    let csp = if framed {
        format!("{CSP}; frame-ancestors *")
    } else {
        format!("{CSP}; frame-ancestors 'none'")
    };
    let mut res = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            // Small, changes with each release; revalidate rather than guess a lifetime.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        asset.body,
    )
        .into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).expect("the policy is ASCII"),
    );
    if !framed {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if name == "oz-liveness.js" {
        // An integrator's page loads it from another origin, as a classic script.
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    if framed {
        h.insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(self)"),
        );
    }
    res
}

/// The console
///
/// The operator and administrator console: login, folders, media, analyses with their evidence,
/// operator decisions, collections, companies and users. A page of plain ES modules that call
/// this API; needs no token to load.
#[utoipa::path(
    get,
    path = "/",
    tag = "Web",
    operation_id = "web_console",
    security(),
    responses((status = 200, description = "An HTML page", content_type = "text/html")),
)]
pub async fn console() -> Response {
    serve("console.html")
}

/// The liveness capture page
///
/// Camera capture (passive or a gesture) uploaded as a ZIP shot set, analysed, and the verdict
/// shown. Standalone, or framed by an integrator's page through `/web/oz-liveness.js`.
#[utoipa::path(
    get,
    path = "/capture",
    tag = "Web",
    operation_id = "web_capture",
    security(),
    responses((status = 200, description = "An HTML page", content_type = "text/html")),
)]
pub async fn capture() -> Response {
    serve("capture.html")
}

/// A file of the pages
///
/// The scripts and style sheet the console and capture page load, and `oz-liveness.js`, the
/// embeddable capture script (`OzLiveness.open({...})`).
#[utoipa::path(
    get,
    path = "/web/{file}",
    tag = "Web",
    operation_id = "web_file",
    security(),
    params(("file" = String, Path, description = "File name, e.g. `oz-liveness.js`")),
    responses(
        (status = 200, description = "The file"),
        crate::api::openapi::errors::NotFound,
    ),
)]
pub async fn file(Path(file): Path<String>) -> Response {
    if file.ends_with(".html") {
        return Error::NotFound("file").into_response();
    }
    serve(&file)
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    #[test]
    fn every_file_of_the_folder_is_served_and_every_import_is_a_served_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut served: Vec<String> = ASSETS.iter().map(|a| a.name.to_string()).collect();
        served.sort();
        assert_eq!(on_disk, served, "shared/web and ASSETS differ");
        for a in ASSETS {
            let text = std::str::from_utf8(a.body).unwrap();
            for part in text.split("from \"./").skip(1) {
                let target = &part[..part.find('"').unwrap()];
                assert!(
                    ASSETS.iter().any(|b| b.name == target),
                    "{} imports {target}, which is not served",
                    a.name
                );
            }
        }
    }
}
