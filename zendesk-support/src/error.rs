//! The one error type of this crate, and the parsing of Zendesk's error bodies.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// What went wrong in a Zendesk call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Zendesk answered with an error status. Everything it said is kept.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// Zendesk kept answering 429 or 503 until the retry budget ran out. Try again after
    /// `retry_after` (when Zendesk said how long).
    #[error("rate limited by Zendesk (retry after {retry_after:?}): {error}")]
    RateLimited {
        /// How long Zendesk asked to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// The last answer.
        error: Box<ApiError>,
    },

    /// The request did not complete: connection refused or reset, DNS, TLS, or the timeout.
    /// [`Error::is_timeout`] tells a timeout apart.
    #[error("request to Zendesk failed")]
    Http(#[source] reqwest::Error),

    /// The answer was not what the API describes; `path` names the field that failed.
    #[error("could not decode Zendesk's answer at `{path}`")]
    Decode {
        /// The JSON path of the failing field, e.g. `ticket.id`.
        path: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// The credentials were refused, or `users/me` answered the anonymous user.
    #[error("Zendesk did not accept the credentials: {0}")]
    Unauthenticated(String),

    /// A download was larger than the cap it was given.
    #[error("the download exceeds its cap of {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },

    /// The client was built or called with an invalid setting or argument.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// A bulk job was not finished within the time it was waited for; it may still finish:
    /// read it again with [`JobStatuses::get`](crate::JobStatuses::get).
    #[error("job {id} was not finished after {waited:?}")]
    JobTimeout {
        /// The job's id.
        id: String,
        /// How long it was waited for.
        waited: Duration,
    },
}

impl Error {
    /// Whether the request timed out. A timed-out write may still have happened.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Http(error) if error.is_timeout())
    }

    /// Whether the same call may succeed if tried again later: a timeout or lost connection,
    /// a 408, 409, 429 or 5xx answer, an answer that could not be decoded (a proxy's page, a
    /// deploy under way). Not a refusal a retry cannot change (another 4xx, refused
    /// credentials, a download over its cap, a bad setting). A timed-out write may have
    /// happened: look for it before writing again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http(_)
            | Error::RateLimited { .. }
            | Error::Decode { .. }
            | Error::JobTimeout { .. } => true,
            Error::Api(error) => retryable_status(error.status),
            Error::Unauthenticated(_) | Error::TooLarge { .. } | Error::Config(_) => false,
        }
    }

    /// How long Zendesk asked to wait before trying again (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(error) | Error::RateLimited { error, .. } => error.retry_after,
            _ => None,
        }
    }

    /// The HTTP status Zendesk answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(error) | Error::RateLimited { error, .. } => Some(error.status),
            _ => None,
        }
    }

    /// Zendesk's error code (`RecordNotFound`, `invalid_client`, ...), if it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(error) | Error::RateLimited { error, .. } => error.code.as_deref(),
            _ => None,
        }
    }
}

/// Statuses worth another try: timeouts, conflicts, rate limits and server errors.
fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error answer from Zendesk, whichever of its shapes it came in.
///
/// Zendesk answers errors as `{"error":"RecordNotFound","description":"Not found"}`,
/// `{"error":"Couldn't authenticate you"}`, `{"error":{"title":..,"message":..}}`,
/// `{"errors":[{"code":..,"title":..,"detail":..}]}`, OAuth's
/// `{"error":"invalid_client","error_description":..}`, or plain text and HTML; all of them
/// parse here, and the raw body is kept.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Zendesk's error code, e.g. `RecordNotFound`, `RecordInvalid`, `invalid_client`.
    pub code: Option<String>,
    /// The human explanation, e.g. `Not found`.
    pub description: Option<String>,
    /// Field-level details (`details` of a `RecordInvalid`, or the `errors` list).
    pub details: Option<Value>,
    /// How long Zendesk asked to wait (`Retry-After`), on 429 and 503.
    pub retry_after: Option<Duration>,
    /// Zendesk's request id (`X-Request-Id` or `X-Zendesk-Request-Id`), for support tickets.
    pub request_id: Option<String>,
    /// The body as received (at most 64 KiB of it).
    pub body: String,
}

/// Bodies longer than this are cut before they are kept in an error.
const MAX_KEPT_BODY: usize = 64 * 1024;

impl ApiError {
    /// Parses an error answer. Never fails: what cannot be understood stays in `body`.
    pub fn parse(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        request_id: Option<String>,
    ) -> Self {
        let mut kept = String::from_utf8_lossy(body).into_owned();
        if kept.len() > MAX_KEPT_BODY {
            let mut cut = MAX_KEPT_BODY;
            while !kept.is_char_boundary(cut) {
                cut -= 1;
            }
            kept.truncate(cut);
        }
        let mut error = ApiError {
            status,
            code: None,
            description: None,
            details: None,
            retry_after,
            request_id,
            body: kept,
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => error.read_json(&map),
            _ => {
                let text = error.body.trim();
                if !text.is_empty() && !text.starts_with('<') && text.len() <= 500 {
                    error.description = Some(text.to_owned());
                }
            }
        }
        error
    }

    fn read_json(&mut self, map: &serde_json::Map<String, Value>) {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        match map.get("error") {
            // {"error":"RecordNotFound","description":".."} and OAuth's error_description.
            Some(Value::String(code)) => {
                self.code = Some(code.clone());
                self.description =
                    text(map.get("description")).or_else(|| text(map.get("error_description")));
            }
            // {"error":{"title":"Forbidden","message":".."}}
            Some(Value::Object(inner)) => {
                self.code = text(inner.get("title")).or_else(|| text(inner.get("code")));
                self.description =
                    text(inner.get("message")).or_else(|| text(inner.get("description")));
            }
            _ => {}
        }
        if let Some(Value::Array(errors)) = map.get("errors") {
            // {"errors":[{"code":"..","title":"..","detail":".."}]}
            if let Some(Value::Object(first)) = errors.first() {
                self.code = self.code.take().or_else(|| text(first.get("code")));
                self.description = self
                    .description
                    .take()
                    .or_else(|| text(first.get("detail")))
                    .or_else(|| text(first.get("title")));
            }
            self.details = Some(Value::Array(errors.clone()));
        }
        if let Some(details) = map.get("details") {
            self.details = Some(details.clone());
        }
        if self.description.is_none() {
            self.description = text(map.get("message"));
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zendesk answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " (request {request_id})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::parse(status, body.as_bytes(), None, Some("req-1".into()))
    }

    #[test]
    fn record_not_found() {
        let error = parse(
            404,
            r#"{"error":"RecordNotFound","description":"Not found"}"#,
        );
        assert_eq!(error.code.as_deref(), Some("RecordNotFound"));
        assert_eq!(error.description.as_deref(), Some("Not found"));
        assert_eq!(
            error.to_string(),
            "Zendesk answered 404 RecordNotFound: Not found (request req-1)"
        );
    }

    #[test]
    fn couldnt_authenticate() {
        let error = parse(401, r#"{"error":"Couldn't authenticate you"}"#);
        assert_eq!(error.code.as_deref(), Some("Couldn't authenticate you"));
        assert_eq!(error.description, None);
    }

    #[test]
    fn record_invalid_keeps_details() {
        let error = parse(
            422,
            r#"{"error":"RecordInvalid","description":"Record validation errors",
                "details":{"requester":[{"description":"Requester: Email is invalid","error":"InvalidValue"}]}}"#,
        );
        assert_eq!(error.code.as_deref(), Some("RecordInvalid"));
        let details = error.details.unwrap();
        assert_eq!(details["requester"][0]["error"], "InvalidValue");
    }

    #[test]
    fn errors_list() {
        let error = parse(
            400,
            r#"{"errors":[{"code":"TooManyValues","title":"Too many values","detail":"ids: at most 100"}]}"#,
        );
        assert_eq!(error.code.as_deref(), Some("TooManyValues"));
        assert_eq!(error.description.as_deref(), Some("ids: at most 100"));
        assert!(error.details.unwrap().is_array());
    }

    #[test]
    fn oauth_error() {
        let error = parse(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        );
        assert_eq!(error.code.as_deref(), Some("invalid_client"));
        assert_eq!(
            error.description.as_deref(),
            Some("Client authentication failed")
        );
    }

    #[test]
    fn error_object() {
        let error = parse(
            403,
            r#"{"error":{"title":"Forbidden","message":"You do not have access"}}"#,
        );
        assert_eq!(error.code.as_deref(), Some("Forbidden"));
        assert_eq!(error.description.as_deref(), Some("You do not have access"));
    }

    #[test]
    fn plain_text_html_empty_and_truncated() {
        let text = parse(503, "Service Unavailable");
        assert_eq!(text.description.as_deref(), Some("Service Unavailable"));
        let html = parse(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert_eq!(html.description, None);
        assert!(html.body.contains("502 Bad Gateway"));
        let empty = parse(500, "");
        assert_eq!((empty.code, empty.description), (None, None));
        let truncated = parse(500, r#"{"error":"RecordNot"#);
        assert_eq!(truncated.code, None);
        assert_eq!(truncated.body, r#"{"error":"RecordNot"#);
        let invalid_utf8 = ApiError::parse(500, &[0xff, 0xfe, b'x'], None, None);
        assert!(invalid_utf8.body.ends_with('x'));
    }

    #[test]
    fn huge_bodies_are_cut_on_a_char_boundary() {
        let body = "é".repeat(MAX_KEPT_BODY);
        let error = parse(500, &body);
        assert!(error.body.len() <= MAX_KEPT_BODY);
    }
}
