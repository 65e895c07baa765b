//! What the client reports through the [`metrics`] facade, a no-op until the application
//! installs a recorder (e.g. a Prometheus exporter):
//!
//! - `upstream_requests_total{vendor="sunco", method, path, status}`: every attempt, retries
//!   included; `status` is the HTTP status, or `error` when no answer came (a timeout, a
//!   reset, a refused connection);
//! - `upstream_request_duration_seconds{vendor="sunco", method, path}`: each attempt's time.
//!
//! `path` is the path with its ids replaced by `{id}` (`/api/v2/tickets/{id}/comments`), so
//! that the series stay few.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use url::Url;

const VENDOR: &str = "sunco";

/// Records one attempt: its answer's status (`None`: no answer) and how long it took.
pub(crate) fn record_attempt(
    method: &Method,
    url: &Url,
    status: Option<StatusCode>,
    took: Duration,
) {
    let path = path_template(url);
    let status = status.map_or_else(|| "error".to_owned(), |status| status.as_u16().to_string());
    metrics::counter!(
        "upstream_requests_total",
        "vendor" => VENDOR, "method" => method.to_string(), "path" => path.clone(), "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "upstream_request_duration_seconds",
        "vendor" => VENDOR, "method" => method.to_string(), "path" => path
    )
    .record(took.as_secs_f64());
}

/// The URL's path with every segment that is not a plain word (ids, emails, `4021.json`)
/// replaced by `{id}`; version segments such as `v2` stay.
fn path_template(url: &Url) -> String {
    let segments = url.path_segments().into_iter().flatten().map(|segment| {
        let word =
            !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let version = segment.len() > 1
            && segment.starts_with('v')
            && segment[1..].bytes().all(|b| b.is_ascii_digit());
        if word || version { segment } else { "{id}" }
    });
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.push_str(segment);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_placeholders() {
        let template = |url: &str| path_template(&Url::parse(url).unwrap());
        assert_eq!(
            template("https://a.test/api/v2/tickets/4021/comments?x=1"),
            "/api/v2/tickets/{id}/comments"
        );
        assert_eq!(
            template("https://a.test/v2/apps/app_1/users/jane%40example.com"),
            "/v2/apps/{id}/users/{id}"
        );
        assert_eq!(
            template("https://a.test/api/v2/users/show_many"),
            "/api/v2/users/show_many"
        );
        assert_eq!(
            template("https://a.test/api/v2/tickets/4021.json"),
            "/api/v2/tickets/{id}"
        );
    }
}
