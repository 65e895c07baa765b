//! A webhook as a vendor sends it, ready to replay at a service.

use http::HeaderMap;

/// A webhook call: the headers the vendor sends (signature, API key, basic auth) and the raw
/// body, exactly as signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FakeWebhook {
    /// The headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
}

impl FakeWebhook {
    /// A webhook of these headers and body.
    pub fn new(headers: HeaderMap, body: Vec<u8>) -> Self {
        Self { headers, body }
    }

    /// POSTs it to `url` as JSON, as the vendor would.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn send_to(&self, url: &str) -> reqwest::Result<reqwest::Response> {
        reqwest::Client::new()
            .post(url)
            .headers(self.headers.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(self.body.clone())
            .send()
            .await
    }
}
