//! A request id on every log line of a request, in its response header and in the JSON
//! API's error bodies, so a resident's or an operator's report can be found in the logs.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The id of the request being handled (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A proxy's id is kept when it is short and plain, so one id follows the request across
/// hops; anything else (empty, long, odd characters a log reader could trip on) is replaced.
fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn fresh() -> String {
    crate::domain::random_token()[..16].to_owned()
}

/// Wraps a request in a `request` span (id, method, path: never the query, which carries
/// WeChat's signature and the resident's OpenID; account numbers in it masked) and logs its
/// end.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(fresh, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %crate::domain::mask_personal(req.uri().path()),
    );
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| tracing::debug!(status = res.status().as_u16(), ms, "request finished"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    res
}
