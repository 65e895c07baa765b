//! [`Client`], its builder, the retry policy, and the one place requests are sent.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::AuthState;
use crate::request_budget::RequestBudget;
use crate::{ApiError, Auth, Error, Result};

/// How the client retries. Zendesk's 429 and 503 are retried after their `Retry-After`;
/// 5xx answers and network failures are retried with exponential backoff and jitter, but only
/// for requests that are safe to repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt, at most.
    pub max_retries: u32,
    /// The longest `Retry-After` the client will sleep through; a longer one is returned at
    /// once as [`Error::RateLimited`] for the caller to schedule.
    pub max_retry_after: Duration,
    /// The first backoff delay.
    pub min_backoff: Duration,
    /// The longest backoff delay.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries at most `max_retries` times, other settings default.
    pub fn retries(max_retries: u32) -> Self {
        Self {
            max_retries,
            ..Self::default()
        }
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Sets the backoff delays.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.max_backoff)
            .with_jitter()
            .with_max_times(self.max_retries as usize)
            .build()
    }
}

impl Default for RetryPolicy {
    /// 3 retries, `Retry-After` up to 60 s, backoff from 200 ms to 5 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            max_retry_after: Duration::from_secs(60),
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A Zendesk Support API client. Cheap to clone: clones share connections and the OAuth
/// token cache.
///
/// ```no_run
/// # async fn demo() -> zendesk_support::Result<()> {
/// use zendesk_support::{Auth, Client};
///
/// let client = Client::builder()
///     .subdomain("acme")?
///     .auth(Auth::client_credentials("bridge", "client-secret"))
///     .build()?;
/// let ticket = client.tickets().get(4021).await?;
/// println!("{:?}", ticket.status);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth: AuthState,
    retry: RetryPolicy,
    budget: Option<RequestBudget>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", self.inner.auth.auth())
            .field("retry", &self.inner.retry)
            .field("budget", &self.inner.budget)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Set a [`subdomain`](Self::subdomain) or a
/// [`base_url`](Self::base_url), and [`auth`](Self::auth).
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<Url>,
    auth: Option<Auth>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    requests_per_minute: Option<NonZeroU32>,
}

/// Default timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl ClientBuilder {
    /// The account's subdomain: `acme` for `https://acme.zendesk.com`. Must be one DNS label.
    ///
    /// # Errors
    /// [`Error::Config`] when it is not a single DNS label.
    pub fn subdomain(mut self, subdomain: &str) -> Result<Self> {
        let label = subdomain.trim().to_ascii_lowercase();
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(Error::Config(format!(
                "subdomain {subdomain:?} is not a single DNS label (letters, digits, hyphens)"
            )));
        }
        let url = Url::parse(&format!("https://{label}.zendesk.com/"))
            .map_err(|error| Error::Config(format!("subdomain {subdomain:?}: {error}")))?;
        self.base_url = Some(url);
        Ok(self)
    }

    /// Any base URL instead of `https://{subdomain}.zendesk.com`: a local fake in tests, or a
    /// host-mapped domain.
    ///
    /// # Errors
    /// [`Error::Config`] when it is not an absolute http(s) URL.
    pub fn base_url(mut self, base_url: &str) -> Result<Self> {
        let mut url = Url::parse(base_url)
            .map_err(|error| Error::Config(format!("base_url {base_url:?}: {error}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::Config(format!(
                "base_url {base_url:?} must be an http(s) URL with a host"
            )));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        self.base_url = Some(url);
        Ok(self)
    }

    /// The credentials to send.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Timeout of each request (connect to last byte). Default: [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy. Default: [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Keeps to at most this many requests a minute (retries included) without waiting for
    /// Zendesk to answer 429: a request beyond the budget waits its turn. Set it below the
    /// account's plan limit (700 on Suite Enterprise) when other integrations share it.
    /// Default: no budget (a 429 is still waited out, see [`RetryPolicy`]). `0` is taken as 1.
    ///
    /// ```
    /// # fn demo() -> zendesk_support::Result<()> {
    /// use zendesk_support::{Auth, Client};
    ///
    /// let client = Client::builder()
    ///     .subdomain("acme")?
    ///     .auth(Auth::api_token("bot@acme.test", "token"))
    ///     .requests_per_minute(500)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn requests_per_minute(mut self, budget: u32) -> Self {
        self.requests_per_minute = Some(NonZeroU32::new(budget).unwrap_or(NonZeroU32::MIN));
        self
    }

    /// The `User-Agent` header. Default: `zendesk-support-rs/{version}`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when no subdomain or base URL or no auth was set, or the user agent
    /// is not a valid header value.
    pub fn build(self) -> Result<Client> {
        let base_url = self
            .base_url
            .ok_or_else(|| Error::Config("set a subdomain or a base_url".into()))?;
        let auth = self
            .auth
            .ok_or_else(|| Error::Config("set the auth (API token, bearer or OAuth)".into()))?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("zendesk-support-rs/", env!("CARGO_PKG_VERSION")).into());
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("user_agent is not a valid header value".into()))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
            .user_agent(user_agent)
            // Redirects could carry the Authorization header elsewhere: Zendesk's API does not
            // redirect, so follow none.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| Error::Config(format!("HTTP client: {error}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth: AuthState::new(auth),
                retry: self.retry.unwrap_or_default(),
                budget: self.requests_per_minute.map(RequestBudget::per_minute),
            }),
        })
    }
}

/// A request body, kept as bytes so that a retry can send it again.
#[derive(Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Raw { bytes: Bytes, content_type: String },
}

/// One API call, described before it is sent (and re-sent).
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    pub(crate) headers: HeaderMap,
    /// Safe to send twice: GETs, and writes Zendesk deduplicates (an `Idempotency-Key`).
    pub(crate) idempotent: bool,
    /// Send the credentials (not for the OAuth token request itself, nor foreign hosts).
    pub(crate) authenticated: bool,
}

impl Call {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        let idempotent = method == Method::GET;
        Self {
            method,
            url,
            body: Body::Empty,
            headers: HeaderMap::new(),
            idempotent,
            authenticated: true,
        }
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|source| Error::Decode {
            path: "(request body)".into(),
            source,
        })?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(self)
    }

    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The URL of an API path such as `api/v2/tickets/1.json`.
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .base_url
            .join(path.trim_start_matches('/'))
            .map_err(|error| Error::Config(format!("path {path:?}: {error}")))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The `Authorization` header value for the next request (minting a token if needed).
    pub(crate) async fn auth_header(&self) -> Result<secrecy::SecretString> {
        self.inner.auth.header(self).await
    }

    /// Whether `url` is on this account's own host: only there are credentials sent.
    pub(crate) fn is_own_host(&self, url: &Url) -> bool {
        let base = &self.inner.base_url;
        url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
    }

    /// `GET` an API path and decode the JSON answer: the escape hatch for endpoints this
    /// crate does not wrap.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let call = Call::new(Method::GET, self.url(path)?);
        decode(self.send(call).await?).await
    }

    /// `POST` a JSON body to an API path and decode the JSON answer. Not retried after an
    /// ambiguous failure.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let call = Call::new(Method::POST, self.url(path)?).json(body)?;
        decode(self.send(call).await?).await
    }

    /// `PUT` a JSON body to an API path and decode the JSON answer. Not retried after an
    /// ambiguous failure.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let call = Call::new(Method::PUT, self.url(path)?).json(body)?;
        decode(self.send(call).await?).await
    }

    pub(crate) async fn mint_token<B: Serialize, T: DeserializeOwned>(
        &self,
        body: &B,
    ) -> Result<T> {
        let mut call = Call::new(Method::POST, self.url("oauth/tokens")?).json(body)?;
        call.authenticated = false;
        call.idempotent = true; // a second token is harmless
        decode(self.send(call).await?).await
    }

    /// Sends a call and reads the field `key` of its answer (`{"group": {..}}`).
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &'static str,
    ) -> Result<T> {
        let bytes = body_bytes(self.send(call).await?).await?;
        crate::envelope::field(&bytes, key)
    }

    /// Sends a call and reads the list under `key` of its answer (`null` is empty): for the
    /// answers that are one list, not pages.
    pub(crate) async fn fetch_list<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &'static str,
    ) -> Result<Vec<T>> {
        self.fetch::<Option<Vec<T>>>(call, key)
            .await
            .map(Option::unwrap_or_default)
    }

    /// Sends a call whose answer carries nothing the caller needs (`204 No Content`).
    pub(crate) async fn execute(&self, call: Call) -> Result<()> {
        body_bytes(self.send(call).await?).await.map(drop)
    }

    /// Sends a call with auth and retries; answers the successful response or the error.
    pub(crate) async fn send(&self, call: Call) -> Result<reqwest::Response> {
        let retry = &self.inner.retry;
        let mut delays = retry.delays();
        let mut retries_left = retry.max_retries;
        let mut reauthenticated = false;
        loop {
            let auth_header = if call.authenticated {
                Some(self.inner.auth.header(self).await?)
            } else {
                None
            };
            if let Some(budget) = &self.inner.budget {
                budget.wait_for_turn().await;
            }
            let mut request = self
                .inner
                .http
                .request(call.method.clone(), call.url.clone())
                .headers(call.headers.clone());
            if let Some(header) = &auth_header {
                request = request.header(AUTHORIZATION, sensitive_header(header)?);
            }
            request = match &call.body {
                // A write with no body still says so: RFC 9110 asks for `Content-Length: 0`,
                // and proxies answer 411 Length Required without it.
                Body::Empty
                    if matches!(call.method, Method::POST | Method::PUT | Method::PATCH) =>
                {
                    request.header(CONTENT_LENGTH, "0")
                }
                Body::Empty => request,
                Body::Json(bytes) => request
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone()),
                Body::Raw {
                    bytes,
                    content_type,
                } => request
                    .header(CONTENT_TYPE, content_type.as_str())
                    .body(bytes.clone()),
            };

            let started = std::time::Instant::now();
            let outcome = request.send().await;
            crate::telemetry::record_attempt(
                &call.method,
                &call.url,
                outcome.as_ref().ok().map(reqwest::Response::status),
                started.elapsed(),
            );
            let response = match outcome {
                Ok(response) => response,
                Err(error) => {
                    // A refused connection never reached Zendesk, so even a write may be
                    // sent again; anything else (a timeout, a reset) may have been applied.
                    let safe = call.idempotent || error.is_connect();
                    match delays.next() {
                        Some(delay) if safe && retries_left > 0 => {
                            retries_left -= 1;
                            tracing::debug!(error = %error, ?delay, "retrying Zendesk request");
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                        _ => return Err(Error::Http(error.without_url())),
                    }
                }
            };

            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = retry_after(response.headers());
            let request_id = request_id(response.headers());
            let body = response.bytes().await.unwrap_or_default();
            let error = Box::new(ApiError::parse(
                status.as_u16(),
                &body,
                retry_after,
                request_id,
            ));

            if status == StatusCode::UNAUTHORIZED {
                if let Some(header) = auth_header.filter(|_| !reauthenticated)
                    && self.inner.auth.can_refresh()
                {
                    reauthenticated = true;
                    self.inner.auth.invalidate(&header).await;
                    continue;
                }
                return Err(Error::Api(error));
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                // Zendesk rejected the request before acting on it: any method may repeat.
                let wait = retry_after.or_else(|| delays.next());
                match wait {
                    Some(wait) if retries_left > 0 && wait <= retry.max_retry_after => {
                        retries_left -= 1;
                        tracing::debug!(status = status.as_u16(), ?wait, "Zendesk asked to wait");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    _ => return Err(Error::RateLimited { retry_after, error }),
                }
            }
            if status.is_server_error()
                && call.idempotent
                && retries_left > 0
                && let Some(delay) = delays.next()
            {
                retries_left -= 1;
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(Error::Api(error));
        }
    }
}

/// Everything but RFC 3986's unreserved characters is escaped in a path segment, so that an
/// id of the caller's (an upload token, a job id) stays one segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The most records Zendesk takes in one bulk call (`show_many`, `create_many`, ...).
pub(crate) const MAX_BULK: usize = 100;

/// Refuses a bulk call over [`MAX_BULK`] before it is sent (Zendesk would answer 400).
pub(crate) fn check_many(what: &str, count: usize) -> Result<()> {
    if count > MAX_BULK {
        return Err(Error::Config(format!(
            "{count} {what}s in one call; Zendesk takes at most {MAX_BULK}"
        )));
    }
    Ok(())
}

/// Ids as Zendesk's `ids=1,2,3`.
pub(crate) fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Ids for a bulk call's `ids=` parameter: at least one, at most [`MAX_BULK`].
pub(crate) fn ids_param(what: &str, ids: &[i64]) -> Result<String> {
    if ids.is_empty() {
        return Err(Error::Config(format!("no {what} ids")));
    }
    check_many(what, ids.len())?;
    Ok(join_ids(ids))
}

/// Refuses an autocomplete prefix under the 2 characters Zendesk needs.
pub(crate) fn check_prefix(what: &str, prefix: &str) -> Result<()> {
    if prefix.chars().count() < 2 {
        return Err(Error::Config(format!("{what} needs at least 2 characters")));
    }
    Ok(())
}

/// `text` as one percent-encoded path segment.
pub(crate) fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// The `Authorization` value, marked sensitive so that no HTTP layer logs it.
pub(crate) fn sensitive_header(credentials: &secrecy::SecretString) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(credentials.expose_secret())
        .map_err(|_| Error::Config("credentials are not a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Decodes a JSON answer, naming the field that failed.
pub(crate) async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    decode_bytes(&body_bytes(response).await?)
}

/// Reads a whole answer.
pub(crate) async fn body_bytes(response: reqwest::Response) -> Result<Bytes> {
    response
        .bytes()
        .await
        .map_err(|error| Error::Http(error.without_url()))
}

pub(crate) fn decode_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_json(bytes).map_err(|(path, source)| Error::Decode { path, source })
}

/// Reads JSON into `T`, or names the field that failed. Tracking the path costs about as
/// much as the parse itself, so only a failure pays for it: the input is walked again.
pub(crate) fn from_json<T: DeserializeOwned>(
    bytes: &[u8],
) -> std::result::Result<T, (String, serde_json::Error)> {
    T::deserialize(&mut serde_json::Deserializer::from_slice(bytes)).map_err(|error| {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(tracked) => (tracked.path().to_string(), tracked.into_inner()),
            // Both walks read the same bytes, so this cannot happen; keep the first error.
            Ok(_) => (".".to_owned(), error),
        }
    })
}

/// `Retry-After` in seconds (Zendesk's form); an HTTP date is not used by Zendesk.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-zendesk-request-id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_must_be_one_label() {
        for bad in [
            "",
            "a.b",
            "-acme",
            "acme-",
            "ac me",
            "acme/x",
            &"a".repeat(64),
            "ümlaut",
        ] {
            assert!(Client::builder().subdomain(bad).is_err(), "{bad:?}");
        }
        let client = Client::builder()
            .subdomain("Acme-2")
            .unwrap()
            .auth(Auth::bearer("t"))
            .build()
            .unwrap();
        assert_eq!(client.base_url().as_str(), "https://acme-2.zendesk.com/");
    }

    #[test]
    fn base_url_must_be_http_with_a_host() {
        assert!(Client::builder().base_url("ftp://x").is_err());
        assert!(Client::builder().base_url("not a url").is_err());
        let client = Client::builder()
            .base_url("http://127.0.0.1:9000/prefix")
            .unwrap()
            .auth(Auth::bearer("t"))
            .build()
            .unwrap();
        assert_eq!(
            client.url("api/v2/tickets/1").unwrap().as_str(),
            "http://127.0.0.1:9000/prefix/api/v2/tickets/1"
        );
    }

    #[test]
    fn build_names_what_is_missing() {
        let error = Client::builder()
            .auth(Auth::bearer("t"))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("subdomain"), "{error}");
        let error = Client::builder()
            .subdomain("acme")
            .unwrap()
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("auth"), "{error}");
    }

    #[test]
    fn own_host_only() {
        let client = Client::builder()
            .subdomain("acme")
            .unwrap()
            .auth(Auth::bearer("t"))
            .build()
            .unwrap();
        let own = Url::parse("https://acme.zendesk.com/attachments/token/x/?name=a.png").unwrap();
        assert!(client.is_own_host(&own));
        for foreign in [
            "https://evil.example/attachments",
            "http://acme.zendesk.com/attachments",
            "https://acme.zendesk.com.evil.example/x",
            "https://acme.zendesk.com:8443/x",
        ] {
            assert!(
                !client.is_own_host(&Url::parse(foreign).unwrap()),
                "{foreign}"
            );
        }
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn debug_redacts_the_credentials() {
        let client = Client::builder()
            .subdomain("acme")
            .unwrap()
            .auth(Auth::api_token("agent@acme.test", "SECRET-TOKEN"))
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        assert!(shown.contains("agent@acme.test"), "{shown}");
    }
}
