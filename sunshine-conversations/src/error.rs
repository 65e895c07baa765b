//! The one error type of this crate, and the parsing of SunCo's error bodies.

use std::fmt;
use std::time::Duration;

/// What went wrong in a SunCo call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SunCo answered with an error status. Everything it said is kept.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// SunCo kept answering 429 until the retry budget ran out.
    #[error("rate limited by SunCo (retry after {retry_after:?}): {error}")]
    RateLimited {
        /// How long SunCo asked to wait, when it said (`Retry-After`).
        retry_after: Option<Duration>,
        /// The last answer.
        error: Box<ApiError>,
    },

    /// The conversation holds the most messages SunCo keeps (30,000) and takes no more (423).
    #[error("the conversation is locked: it reached SunCo's message limit")]
    ConversationLocked(Box<ApiError>),

    /// A message text is longer than SunCo accepts; nothing was sent.
    #[error("message text is {length} characters, over SunCo's limit of {limit}")]
    TextTooLong {
        /// Its length in UTF-16 code units, as SunCo counts.
        length: usize,
        /// The limit.
        limit: usize,
    },

    /// The request did not complete: connection refused or reset, DNS, TLS, or the timeout.
    /// A timed-out message post may have been delivered: check for it (its `metadata`) before
    /// sending it again.
    #[error("request to SunCo failed")]
    Http(#[source] reqwest::Error),

    /// The answer was not what the API describes; `path` names the field that failed.
    #[error("could not decode SunCo's answer at `{path}`")]
    Decode {
        /// The JSON path of the failing field.
        path: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// A token could not be signed.
    #[error("could not sign a JWT")]
    Jwt(#[source] jsonwebtoken::errors::Error),

    /// The client was built or called with an invalid setting or argument.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether the request timed out. A timed-out write may still have happened.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Http(error) if error.is_timeout())
    }

    /// Whether the same call may succeed if tried again later: a timeout or lost connection,
    /// a 408, 409, 429 or 5xx answer, an answer that could not be decoded (a proxy's page, a
    /// deploy under way). Not a refusal a retry cannot change (another 4xx, a text over the
    /// limit, a locked conversation, a token that cannot be signed, a bad setting). A
    /// timed-out write may have happened: look for it before writing again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http(_) | Error::RateLimited { .. } | Error::Decode { .. } => true,
            Error::Api(error) => retryable_status(error.status),
            Error::ConversationLocked(_)
            | Error::TextTooLong { .. }
            | Error::Jwt(_)
            | Error::Config(_) => false,
        }
    }

    /// How long SunCo asked to wait before trying again (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api()?.retry_after
    }

    /// The HTTP status SunCo answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|error| error.status)
    }

    /// SunCo's error code (`user_not_found`, `conflict`, ...), if it gave one.
    pub fn code(&self) -> Option<&str> {
        self.api()?.code.as_deref()
    }

    fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(error)
            | Error::RateLimited { error, .. }
            | Error::ConversationLocked(error) => Some(error),
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

/// An error answer from SunCo: `{"errors":[{"code":"user_not_found","title":"User not found"}]}`,
/// or anything else (kept raw).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The first error's code, e.g. `user_not_found`.
    pub code: Option<String>,
    /// The first error's title, e.g. `User not found`.
    pub title: Option<String>,
    /// How long SunCo asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
    /// The request id SunCo or Zendesk's edge gave (`X-Request-Id`, `X-Zendesk-Request-Id`).
    pub request_id: Option<String>,
    /// The body as received (at most 64 KiB of it).
    pub body: String,
}

const MAX_KEPT_BODY: usize = 64 * 1024;

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(serde::Deserialize)]
struct ErrorItem {
    code: Option<String>,
    title: Option<String>,
}

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
        let first = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|parsed| parsed.errors.into_iter().next());
        let (code, title) = match first {
            Some(item) => (item.code, item.title),
            None => {
                let text = kept.trim();
                let plain = !text.is_empty() && !text.starts_with(['<', '{']) && text.len() <= 500;
                (None, plain.then(|| text.to_owned()))
            }
        };
        ApiError {
            status,
            code,
            title,
            retry_after,
            request_id,
            body: kept,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SunCo answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(title) = &self.title {
            write!(f, ": {title}")?;
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

    #[test]
    fn every_shape_parses() {
        let found = ApiError::parse(
            404,
            br#"{"errors":[{"code":"user_not_found","title":"User not found"}]}"#,
            None,
            Some("r-1".into()),
        );
        assert_eq!(found.code.as_deref(), Some("user_not_found"));
        assert_eq!(
            found.to_string(),
            "SunCo answered 404 user_not_found: User not found (request r-1)"
        );
        let text = ApiError::parse(502, b"Bad Gateway", None, None);
        assert_eq!(text.title.as_deref(), Some("Bad Gateway"));
        let html = ApiError::parse(502, b"<html>oops</html>", None, None);
        assert_eq!(html.title, None);
        let empty = ApiError::parse(500, b"", None, None);
        assert_eq!((empty.code, empty.title), (None, None));
        let truncated = ApiError::parse(500, br#"{"errors":[{"code":"x"#, None, None);
        assert_eq!(truncated.code, None);
        let odd = ApiError::parse(400, br#"{"errors":"nope"}"#, None, None);
        assert_eq!(odd.code, None);
        let long = ApiError::parse(500, "é".repeat(MAX_KEPT_BODY).as_bytes(), None, None);
        assert!(long.body.len() <= MAX_KEPT_BODY);
    }
}
