//! [`Client`], its builder, the retry policy, and the one place requests are sent.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{ApiError, Error, Result};

/// Everything but RFC 3986's unreserved characters is escaped in a path segment or query
/// value, so that emails (`@`, `+`) reach SunCo exactly as they are.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Refuses an empty id or name before a request is built: SunCo would read an empty path
/// segment as another route.
pub(crate) fn non_empty(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::Config(format!("the {what} is empty")));
    }
    Ok(())
}

pub(crate) fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Where the SunCo API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Host {
    /// A Zendesk account's SunCo: `https://{subdomain}.zendesk.com/sc`.
    Zendesk {
        /// The account's subdomain.
        subdomain: String,
    },
    /// Legacy Smooch, US region: `https://api.smooch.io`.
    SmoochUs,
    /// Legacy Smooch, EU region: `https://api.eu-1.smooch.io`.
    SmoochEu,
}

/// How the client authenticates: with an API key (id and secret) as basic auth, or as an
/// app-scoped JWT signed with it. `Debug` never shows the secret.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Basic base64(key_id:secret)`.
    Basic {
        /// The key id, `app_...`.
        key_id: String,
        /// The key secret.
        secret: SecretString,
    },
    /// `Authorization: Bearer <JWT>` with header `kid` = key id and claim `scope: "app"`.
    Jwt {
        /// The key id, `app_...`.
        key_id: String,
        /// The key secret.
        secret: SecretString,
    },
}

impl Auth {
    /// Basic auth with an API key.
    pub fn basic(key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Auth::Basic {
            key_id: key_id.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    /// An app-scoped JWT signed with an API key.
    pub fn jwt(key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Auth::Jwt {
            key_id: key_id.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    fn header(&self) -> Result<SecretString> {
        Ok(SecretString::from(match self {
            Auth::Basic { key_id, secret } => format!(
                "Basic {}",
                STANDARD.encode(format!("{key_id}:{}", secret.expose_secret()))
            ),
            Auth::Jwt { key_id, secret } => format!(
                "Bearer {}",
                crate::jwt::app_token(key_id, secret.expose_secret())?
            ),
        }))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, key_id) = match self {
            Auth::Basic { key_id, .. } => ("Basic", key_id),
            Auth::Jwt { key_id, .. } => ("Jwt", key_id),
        };
        f.debug_struct(name)
            .field("key_id", key_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// How the client retries: 429 after its `Retry-After` (or backoff when SunCo gives none),
/// 5xx and network failures with exponential backoff and jitter, but only for requests that
/// are safe to repeat. A message post is repeated only when it surely never reached SunCo
/// (the connection was refused) or SunCo refused it with 429.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt, at most.
    pub max_retries: u32,
    /// The longest `Retry-After` the client sleeps through; a longer one is returned as
    /// [`Error::RateLimited`].
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

    /// At most `max_retries` retries, other settings default.
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
    /// 3 retries, `Retry-After` up to 60 s, backoff from 250 ms to 8 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            max_retry_after: Duration::from_secs(60),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// A SunCo API v2 client for one app. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> sunshine_conversations::Result<()> {
/// use sunshine_conversations::{Auth, Client};
///
/// let client = Client::builder()
///     .app_id("5ebee0975ac5304b664a12fa")
///     .zendesk_subdomain("acme")?
///     .auth(Auth::basic("app_5ebee0975ac5", "key-secret"))
///     .build()?;
/// let user = client.users().find("jane.doe+vip@example.com").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    app_id: String,
    auth: Auth,
    authorization: SecretString,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("app_id", &self.inner.app_id)
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]: set the app id, a host, and the auth.
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    app_id: Option<String>,
    base_url: Option<Url>,
    auth: Option<Auth>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
}

/// Default timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl ClientBuilder {
    /// The SunCo app id.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// One of the known hosts.
    ///
    /// # Errors
    /// [`Error::Config`] for a subdomain that is not one DNS label.
    pub fn host(self, host: Host) -> Result<Self> {
        match host {
            Host::Zendesk { subdomain } => self.zendesk_subdomain(&subdomain),
            Host::SmoochUs => self.base_url("https://api.smooch.io"),
            Host::SmoochEu => self.base_url("https://api.eu-1.smooch.io"),
        }
    }

    /// A Zendesk account's SunCo, `https://{subdomain}.zendesk.com/sc`.
    ///
    /// # Errors
    /// [`Error::Config`] for a subdomain that is not one DNS label.
    pub fn zendesk_subdomain(self, subdomain: &str) -> Result<Self> {
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
                "subdomain {subdomain:?} is not a single DNS label"
            )));
        }
        self.base_url(&format!("https://{label}.zendesk.com/sc"))
    }

    /// Any base URL: a local fake in tests, or a host not listed in [`Host`].
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

    /// The credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Timeout of each request. Default: [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy. Default: [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The `User-Agent`. Default: `sunshine-conversations-rs/{version}`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Builds the client (signing the app JWT once, for [`Auth::Jwt`]).
    ///
    /// # Errors
    /// [`Error::Config`] naming what is missing or invalid; [`Error::Jwt`].
    pub fn build(self) -> Result<Client> {
        let app_id = self
            .app_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| Error::Config("set the app_id".into()))?;
        let base_url = self.base_url.ok_or_else(|| {
            Error::Config("set a host: zendesk_subdomain, host(Host::..) or base_url".into())
        })?;
        let auth = self
            .auth
            .ok_or_else(|| Error::Config("set the auth (API key id and secret)".into()))?;
        let authorization = auth.header()?;
        let user_agent = self.user_agent.unwrap_or_else(|| {
            concat!("sunshine-conversations-rs/", env!("CARGO_PKG_VERSION")).into()
        });
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("user_agent is not a valid header value".into()))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| Error::Config(format!("HTTP client: {error}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                app_id,
                auth,
                authorization,
                retry: self.retry.unwrap_or_default(),
            }),
        })
    }
}

/// A request body, kept so that a retry can send it again.
#[derive(Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    /// One file in a multipart form, under the field `source`.
    File {
        bytes: Bytes,
        file_name: String,
        content_type: String,
    },
}

/// One API call, described before it is sent (and re-sent).
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    /// Safe to send twice after an ambiguous failure.
    pub(crate) idempotent: bool,
}

impl Call {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        let idempotent = method == Method::GET;
        Self {
            method,
            url,
            body: Body::Empty,
            idempotent,
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
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The app this client talks to.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The URL of `v2/apps/{appId}/` followed by `segments`, each percent-encoded, and an
    /// optional query string built by the caller.
    pub(crate) fn app_url(&self, segments: &[&str], query: Option<&str>) -> Result<Url> {
        let mut path = Vec::with_capacity(segments.len() + 2);
        path.extend(["apps", self.inner.app_id.as_str()]);
        path.extend_from_slice(segments);
        self.v2_url(&path, query)
    }

    /// The URL of `v2/` followed by `segments`, each percent-encoded, and an optional query
    /// string built by the caller: for the account-level calls (`v2/apps`).
    pub(crate) fn v2_url(&self, segments: &[&str], query: Option<&str>) -> Result<Url> {
        let mut path = String::from("v2");
        for segment in segments {
            path.push('/');
            path.push_str(&encode(segment));
        }
        let mut url = self
            .inner
            .base_url
            .join(&path)
            .map_err(|error| Error::Config(format!("path {path:?}: {error}")))?;
        url.set_query(query);
        Ok(url)
    }

    /// `GET` a path under `v2/apps/{appId}/` and decode the answer: the escape hatch for
    /// endpoints this crate does not wrap.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        let call = Call::new(Method::GET, self.app_url(segments, None)?);
        decode(self.send(call).await?).await
    }

    /// `POST` JSON to a path under `v2/apps/{appId}/` and decode the answer. Not retried
    /// after an ambiguous failure.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        let call = Call::new(Method::POST, self.app_url(segments, None)?).json(body)?;
        decode(self.send(call).await?).await
    }

    /// Sends a call and reads the field `key` of its answer (`{"app": {..}}`).
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &'static str,
    ) -> Result<T> {
        let bytes = body_bytes(self.send(call).await?).await?;
        crate::envelope::field(&bytes, key)
    }

    /// Sends a call and reads the list under `key` of its answer (a missing or `null` list
    /// is empty): for the lists SunCo does not page.
    pub(crate) async fn fetch_list<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &'static str,
    ) -> Result<Vec<T>> {
        let bytes = body_bytes(self.send(call).await?).await?;
        Ok(crate::envelope::listing(&bytes, key)?.items)
    }

    /// Sends a call whose answer carries nothing (SunCo answers `{}`).
    pub(crate) async fn execute(&self, call: Call) -> Result<()> {
        let bytes = body_bytes(self.send(call).await?).await?;
        crate::envelope::nothing(&bytes)
    }

    /// Sends a call with auth and retries; answers the successful response or the error.
    pub(crate) async fn send(&self, call: Call) -> Result<reqwest::Response> {
        let retry = &self.inner.retry;
        let mut delays = retry.delays();
        let mut retries_left = retry.max_retries;
        let mut authorization = HeaderValue::from_str(self.inner.authorization.expose_secret())
            .map_err(|_| Error::Config("credentials are not a valid header value".into()))?;
        authorization.set_sensitive(true);
        loop {
            let mut request = self
                .inner
                .http
                .request(call.method.clone(), call.url.clone())
                .header(AUTHORIZATION, authorization.clone());
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
                Body::File {
                    bytes,
                    file_name,
                    content_type,
                } => {
                    let part = reqwest::multipart::Part::stream(bytes.clone())
                        .file_name(file_name.clone())
                        .mime_str(content_type)
                        .map_err(|_| {
                            Error::Config(format!("{content_type:?} is not a MIME type"))
                        })?;
                    request.multipart(reqwest::multipart::Form::new().part("source", part))
                }
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
                    // A refused connection never reached SunCo: even a message may be sent
                    // again. After a timeout or reset it may have arrived: only idempotent
                    // calls repeat.
                    let safe = call.idempotent || error.is_connect();
                    match delays.next() {
                        Some(delay) if safe && retries_left > 0 => {
                            retries_left -= 1;
                            tracing::debug!(error = %error, ?delay, "retrying SunCo request");
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
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Refused before SunCo acted: any call may repeat.
                let wait = retry_after.or_else(|| delays.next());
                match wait {
                    Some(wait) if retries_left > 0 && wait <= retry.max_retry_after => {
                        retries_left -= 1;
                        tracing::debug!(?wait, "SunCo rate limit, waiting");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    _ => return Err(Error::RateLimited { retry_after, error }),
                }
            }
            if status == StatusCode::LOCKED {
                return Err(Error::ConversationLocked(error));
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

    fn client(base: &str) -> Client {
        Client::builder()
            .app_id("app 1")
            .base_url(base)
            .unwrap()
            .auth(Auth::basic("app_key", "SECRET-KEY"))
            .build()
            .unwrap()
    }

    #[test]
    fn hosts() {
        let us = Client::builder().host(Host::SmoochUs).unwrap();
        assert_eq!(us.base_url.unwrap().as_str(), "https://api.smooch.io/");
        let eu = Client::builder().host(Host::SmoochEu).unwrap();
        assert_eq!(eu.base_url.unwrap().as_str(), "https://api.eu-1.smooch.io/");
        let zd = Client::builder()
            .host(Host::Zendesk {
                subdomain: "Acme".into(),
            })
            .unwrap();
        assert_eq!(
            zd.base_url.unwrap().as_str(),
            "https://acme.zendesk.com/sc/"
        );
        assert!(Client::builder().zendesk_subdomain("a.b").is_err());
    }

    #[test]
    fn app_urls_encode_every_segment() {
        let client = client("https://acme.zendesk.com/sc");
        let url = client
            .app_url(&["users", "jane.doe+vip@example.com"], None)
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://acme.zendesk.com/sc/v2/apps/app%201/users/jane.doe%2Bvip%40example.com"
        );
        let sneaky = client.app_url(&["users", "../../admin"], None).unwrap();
        assert_eq!(sneaky.path(), "/sc/v2/apps/app%201/users/..%2F..%2Fadmin");
    }

    #[test]
    fn build_names_what_is_missing_and_debug_hides_the_secret() {
        let error = Client::builder()
            .base_url("http://x")
            .unwrap()
            .auth(Auth::basic("k", "s"))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("app_id"), "{error}");
        let error = Client::builder()
            .app_id("a")
            .auth(Auth::basic("k", "s"))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("host"), "{error}");
        let shown = format!("{:?}", client("http://x"));
        assert!(!shown.contains("SECRET-KEY"), "{shown}");
        assert!(shown.contains("app_key"), "{shown}");
        let shown = format!("{:?}", Auth::jwt("app_key", "SECRET-KEY"));
        assert!(!shown.contains("SECRET-KEY"), "{shown}");
    }
}
