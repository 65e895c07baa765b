//! The requests a fake received.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;

/// One request as the fake received it, before any fault.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The query string, without the `?`.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The value of query parameter `name` (percent-decoded), if present.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
            &format!("/?{query}").parse().ok()?,
        )
        .ok()?
        .0
        .into_iter()
        .find_map(|(key, value)| (key == name).then_some(value))
    }

    /// Whether this is `method` on exactly `path`.
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method.as_str() == method && self.path == path
    }
}
