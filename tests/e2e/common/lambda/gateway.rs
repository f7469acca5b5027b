//! The HTTP API (API Gateway v2) in front of the functions: a real HTTP server on loopback that
//! routes by the template's `HttpApi` events (exact routes before greedy `{proxy+}` ones, the
//! longest first), turns each request into a payload-2.0 event, invokes the function and turns
//! its answer back into HTTP. Unmatched routes get API Gateway's `{"message":"Not Found"}`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::runtime_api::{Instance, Outcome};

/// A route of the API: method (`ANY` or a verb), path, and the function behind it.
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: Arc<Instance>,
}

impl Route {
    /// How well the route matches: `None` if not at all, else a rank (exact beats greedy,
    /// longer beats shorter, a method beats `ANY`) and the `proxy` path parameter.
    fn matches(&self, method: &str, path: &str) -> Option<((u8, usize, u8), Option<String>)> {
        let by_method = match self.method.as_str() {
            "ANY" => 0,
            m if m == method => 1,
            _ => return None,
        };
        match self.path.strip_suffix("{proxy+}") {
            None if self.path == path => Some(((1, self.path.len(), by_method), None)),
            None => None,
            Some(prefix) => path
                .strip_prefix(prefix)
                .map(|rest| ((0, prefix.len(), by_method), Some(rest.to_string()))),
        }
    }
}

/// Serves `routes` on a free loopback port until the returned task is aborted.
pub async fn serve(routes: Vec<Route>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let routes = Arc::new(routes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(
        move |ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request| {
            let routes = routes.clone();
            async move { handle(&routes, addr, peer, req).await }
        },
    );
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    (addr, task)
}

async fn handle(routes: &[Route], host: SocketAddr, peer: SocketAddr, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let Some((route, proxy)) = routes
        .iter()
        .filter_map(|r| r.matches(&method, &path).map(|(rank, p)| (rank, r, p)))
        .max_by_key(|(rank, _, _)| *rank)
        .map(|(_, r, p)| (r, p))
    else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response();
    };
    let event = event(route, host, peer, proxy, req).await;
    match route.function.invoke(&event).await {
        Outcome::Response(v) => response(&v),
        Outcome::Error(e) => {
            eprintln!("[gateway] {method} {path}: function error: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"message": "Internal Server Error"})),
            )
                .into_response()
        }
    }
}

/// The payload-2.0 event API Gateway sends for `req`.
async fn event(
    route: &Route,
    host: SocketAddr,
    peer: SocketAddr,
    proxy: Option<String>,
    req: Request,
) -> Value {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 10 << 20).await.unwrap_or_default();
    let mut headers = Map::new();
    let mut cookies = vec![];
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(value.split("; ").map(|c| Value::String(c.to_string())));
            continue;
        }
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| *v = Value::String(format!("{},{value}", v.as_str().unwrap())))
            .or_insert(Value::String(value));
    }
    // API Gateway appends the caller's address to X-Forwarded-For and sets the forwarding headers.
    let xff = match headers.get("x-forwarded-for").and_then(Value::as_str) {
        Some(v) => format!("{v}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    headers.insert("x-forwarded-for".into(), xff.into());
    headers.insert("x-forwarded-proto".into(), "http".into());
    headers.insert("x-forwarded-port".into(), host.port().to_string().into());
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let mut query = Map::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .and_modify(|old| *old = Value::String(format!("{},{v}", old.as_str().unwrap())))
            .or_insert(Value::String(v.into_owned()));
    }
    let route_key = format!("{} {}", route.method, route.path);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "emulator",
            "domainName": host.to_string(),
            "domainPrefix": "emulator",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
            },
            "requestId": format!("{:x}", now.as_nanos()),
            "routeKey": route_key,
            "stage": "$default",
            "time": "02/Dec/2026:00:00:00 +0000",
            "timeEpoch": now.as_millis() as u64,
        },
        "isBase64Encoded": !body.is_empty(),
    });
    if !cookies.is_empty() {
        event["cookies"] = cookies.into();
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query.into();
    }
    if let Some(p) = proxy {
        event["pathParameters"] = json!({ "proxy": p });
    }
    if !body.is_empty() {
        event["body"] = base64::engine::general_purpose::STANDARD
            .encode(&body)
            .into();
    }
    event
}

/// The HTTP answer for a function's payload-2.0 response.
fn response(v: &Value) -> Response {
    let status = v["statusCode"].as_u64().unwrap_or(200) as u16;
    let text = v["body"].as_str().unwrap_or("");
    let body = if v["isBase64Encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64 body")
    } else {
        text.as_bytes().to_vec()
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    let h = r.headers_mut();
    if let Some(m) = v["headers"].as_object() {
        for (k, v) in m {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v.as_str().unwrap_or_default()).unwrap(),
            );
        }
    }
    if let Some(m) = v["multiValueHeaders"].as_object() {
        for (k, vs) in m {
            for v in vs.as_array().into_iter().flatten() {
                h.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v.as_str().unwrap_or_default()).unwrap(),
                );
            }
        }
    }
    for c in v["cookies"].as_array().into_iter().flatten() {
        h.append(
            "set-cookie",
            HeaderValue::from_str(c.as_str().unwrap()).unwrap(),
        );
    }
    r
}
