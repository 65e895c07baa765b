//! The messenger page (`GET /`) and its token endpoint (`POST /messenger/jwt`).
//!
//! The page loads SunCo's Web Messenger and logs the customer in with a user JWT, so that the
//! SunCo user's external id is their email: the id the bridge looks them up by when an agent
//! starts a conversation.
//!
//! The token is issued only for the user *your app* has authenticated, never for an id taken
//! from the request: whoever holds a token for an email reads that customer's conversation.
//! Here a signed session cookie stands in for your app's login. **Replace [`StandInLogin`] and
//! [`Session`] with your own authentication.** The stand-in's login form signs in whoever types
//! an email, so it is only served when the server listens on a loopback address.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tracing::{info, warn};

/// The session cookie's name.
const COOKIE_NAME: &str = "bridge_session";
/// How long a stand-in session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// How long an issued user JWT is valid by default (`MESSENGER_TOKEN_LIFETIME`); the page
/// fetches the next one before it runs out.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// The Web Messenger the page loads by default (`SUNCO_WEB_MESSENGER_VERSION`): the latest
/// 5.x, the first major that logs a user in by `externalId` and a user-scoped JWT.
pub(crate) const WEB_MESSENGER_VERSION: &str = "5";

/// Which SunCo region the Web Messenger talks to: the same as the bridge's API host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WebRegion {
    /// The legacy US region (Web Messenger's default).
    Default,
    /// A legacy region by its identifier, e.g. `eu-1` (`region` init option).
    Region(String),
    /// Zendesk-hosted SunCo (`https://{subdomain}.zendesk.com/sc/`), or any other host
    /// (`configBaseUrl` init option).
    ConfigBaseUrl(String),
}

impl WebRegion {
    /// The region for the SunCo API host the bridge is configured with.
    pub(crate) fn for_host(host: &zendesk_sunco_bridge::config::SunCoHost) -> Self {
        use zendesk_sunco_bridge::config::SunCoHost;
        match host {
            SunCoHost::SmoochUs => WebRegion::Default,
            SunCoHost::SmoochEu => WebRegion::Region("eu-1".into()),
            SunCoHost::Zendesk(subdomain) => {
                WebRegion::ConfigBaseUrl(format!("https://{subdomain}.zendesk.com/sc/"))
            }
            SunCoHost::BaseUrl(url) => {
                let parsed = url::Url::parse(url).ok();
                let host = parsed.as_ref().and_then(|url| url.host_str()).unwrap_or("");
                if host == "api.smooch.io" {
                    WebRegion::Default
                } else if let Some(region) = host
                    .strip_prefix("api.")
                    .and_then(|rest| rest.strip_suffix(".smooch.io"))
                {
                    WebRegion::Region(region.to_owned())
                } else {
                    let mut base = url.trim_end_matches('/').to_owned();
                    base.push('/');
                    WebRegion::ConfigBaseUrl(base)
                }
            }
            _ => WebRegion::Default,
        }
    }
}

/// What the page and the token endpoint need.
pub(crate) struct Messenger {
    /// `SUNCO_INTEGRATION_ID`: the Web Messenger integration the page opens.
    integration_id: Option<String>,
    key_id: String,
    key_secret: SecretString,
    sessions: Session,
    stand_in_login: bool,
    token_lifetime: Duration,
    sdk_version: String,
    region: WebRegion,
    loader_url: String,
}

/// SunCo's Web Messenger loader; `{integrationId}` is replaced by the integration's id.
pub(crate) const WEB_LOADER_URL: &str = "https://{integrationId}.webloader.smooch.io/";

/// How the page is set up, besides the keys.
pub(crate) struct PageOptions {
    /// `SUNCO_INTEGRATION_ID`.
    pub(crate) integration_id: Option<String>,
    /// Serve the stand-in login form (only on a loopback address).
    pub(crate) stand_in_login: bool,
    /// How long each user JWT lasts.
    pub(crate) token_lifetime: Duration,
    /// The Web Messenger version to load: a major (`5`) or a pinned `5.N.P`.
    pub(crate) sdk_version: String,
    /// The region or host the Web Messenger talks to.
    pub(crate) region: WebRegion,
    /// The loader URL ([`WEB_LOADER_URL`], or a local stand-in).
    pub(crate) loader_url: String,
}

impl Messenger {
    pub(crate) fn new(key_id: &str, key_secret: &SecretString, options: PageOptions) -> Self {
        Self {
            integration_id: options.integration_id,
            key_id: key_id.to_owned(),
            key_secret: key_secret.clone(),
            sessions: Session::new(key_secret),
            stand_in_login: options.stand_in_login,
            token_lifetime: options.token_lifetime,
            sdk_version: options.sdk_version,
            region: options.region,
            loader_url: options.loader_url,
        }
    }
}

/// Whether `version` is one the page can load: a major of at least 5 (`5`, `5.7`) or a
/// pinned `5.N.P`.
pub(crate) fn valid_sdk_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].parse::<u32>().is_ok_and(|major| major >= 5)
}

/// Stand-in for your app's sessions: a cookie holding the email and an expiry, signed with
/// HMAC-SHA256 under a key derived from the SunCo key secret (so replicas agree, and nothing
/// new has to be configured).
pub(crate) struct Session {
    key: Hmac<Sha256>,
}

impl Session {
    fn new(key_secret: &SecretString) -> Self {
        let mut derive = mac(key_secret.expose_secret().as_bytes());
        derive.update(b"bridge-server messenger session v1");
        let key = derive.finalize().into_bytes();
        Self { key: mac(&key) }
    }

    /// The cookie value for `email`, valid until `expires` (seconds since the epoch).
    fn issue(&self, email: &str, expires: u64) -> String {
        let payload = format!("{}.{expires}", URL_SAFE_NO_PAD.encode(email));
        let mut signer = self.key.clone();
        signer.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signer.finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The signed-in email, if the request carries a valid, unexpired session cookie.
    fn user(&self, headers: &HeaderMap) -> Option<String> {
        let value = cookie(headers, COOKIE_NAME)?;
        let (payload, signature) = value.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut verifier = self.key.clone();
        verifier.update(payload.as_bytes());
        // Constant time: the signature is a secret's output.
        verifier.verify_slice(&signature).ok()?;
        let (email, expires) = payload.split_once('.')?;
        let expires: u64 = expires.parse().ok()?;
        if expires <= now_secs() {
            return None;
        }
        String::from_utf8(URL_SAFE_NO_PAD.decode(email).ok()?).ok()
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// One cookie's value from the `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// `GET /`: the messenger for a signed-in user; otherwise the (stand-in) sign-in.
pub(crate) async fn page(
    State(messenger): State<std::sync::Arc<Messenger>>,
    headers: HeaderMap,
) -> Response {
    let Some(email) = messenger.sessions.user(&headers) else {
        return Html(sign_in_page(messenger.stand_in_login)).into_response();
    };
    let Some(integration_id) = &messenger.integration_id else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html("<p>Set SUNCO_INTEGRATION_ID to the Web Messenger integration's id.</p>"),
        )
            .into_response();
    };
    Html(messenger_page(
        integration_id,
        &email,
        &messenger.sdk_version,
        &messenger.region,
        &messenger.loader_url,
    ))
    .into_response()
}

/// `POST /messenger/jwt`: a SunCo user token for the signed-in user, their external id, and
/// when the token expires (`expiresAt`, seconds since the epoch). The request body is never
/// read: the identity comes from the session alone.
pub(crate) async fn jwt(
    State(messenger): State<std::sync::Arc<Messenger>>,
    headers: HeaderMap,
) -> Response {
    let Some(email) = messenger.sessions.user(&headers) else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let token = sunshine_conversations::jwt::user_token_with_expiry(
        &messenger.key_id,
        messenger.key_secret.expose_secret(),
        &email,
        Some(messenger.token_lifetime),
    );
    match token {
        Ok(token) => {
            info!("messenger token issued");
            let expires_at = now_secs() + messenger.token_lifetime.as_secs();
            let body =
                serde_json::json!({ "externalId": email, "jwt": token, "expiresAt": expires_at });
            (
                [
                    (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                    (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                body.to_string(),
            )
                .into_response()
        }
        Err(error) => {
            warn!(error = %error, "could not sign a messenger token");
            (StatusCode::INTERNAL_SERVER_ERROR, "could not sign a token").into_response()
        }
    }
}

/// The stand-in login form's fields.
#[derive(serde::Deserialize)]
pub(crate) struct StandInLogin {
    email: String,
}

/// `POST /login`: STAND-IN for your app's login. Signs in whoever submits an email; served only
/// on a loopback address. Replace it with your authentication.
pub(crate) async fn login(
    State(messenger): State<std::sync::Arc<Messenger>>,
    Form(form): Form<StandInLogin>,
) -> Response {
    let email = form.email.trim();
    if !messenger.stand_in_login {
        return StatusCode::NOT_FOUND.into_response();
    }
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return (StatusCode::BAD_REQUEST, "an email, please").into_response();
    }
    let value = messenger
        .sessions
        .issue(email, now_secs() + SESSION_LIFETIME.as_secs());
    // HttpOnly: the page's scripts never see the session. Add `Secure` behind HTTPS.
    let cookie = format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    );
    redirect_home(&cookie)
}

/// `POST /logout`: ends the session.
pub(crate) async fn logout() -> Response {
    redirect_home(&format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ))
}

fn redirect_home(cookie: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::from_static("/"));
    if let Ok(cookie) = HeaderValue::from_str(cookie) {
        headers.insert(SET_COOKIE, cookie);
    }
    response
}

fn sign_in_page(stand_in_login: bool) -> String {
    let form = if stand_in_login {
        r#"<p><strong>Stand-in login</strong> (replace with your app's own): it signs in any
email you type, and is only served on a loopback address.</p>
<form method="post" action="/login">
  <label>Email <input name="email" type="email" required></label>
  <button type="submit">Sign in</button>
</form>"#
    } else {
        "<p>Sign in through your app to open the messenger.</p>"
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Messenger</title></head>\n<body>\n{form}\n</body>\n</html>\n"
    )
}

/// The page: SunCo's loader protocol (a stand-in `Smooch` queues calls until the loader's
/// script hands over the real one through `__onWebMessengerHostReady__`), then `Smooch.init`
/// with a token fetched for the signed-in user, kept fresh for as long as the page is open.
///
/// - Which build: the loader ([`WEB_LOADER_URL`]) answers the
///   script URL of each major (`v5`), and of pinned minors (`v5.7.patch`); the page loads the
///   one for `sdk_version`, as Web Messenger 5's own snippet does (a pinned `5.N.P` falls back
///   on `https://cdn.smooch.io/smooch.5.N.P.min.js`). The seed's snippet took the answer's
///   `url`, a build that may predate `externalId` logins.
/// - Region: `region` or `configBaseUrl`, for the host the bridge's own API calls go to.
/// - Tokens: the next one is fetched at four fifths of the current one's life, and the
///   Web Messenger's `onInvalidAuth` delegate is answered with it (or a newly fetched one):
///   a request refused for an expired token is retried with a valid one.
/// - Any failure (loader, SDK script, token endpoint, init) shows in the status line.
fn messenger_page(
    integration_id: &str,
    email: &str,
    sdk_version: &str,
    region: &WebRegion,
    loader_url: &str,
) -> String {
    let loader_url = script_string(loader_url);
    let integration_id = script_string(integration_id);
    let email = html_text(email);
    let sdk_version = script_string(sdk_version);
    let region_options = match region {
        WebRegion::Default => String::new(),
        WebRegion::Region(region) => format!("region: {},", script_string(region)),
        WebRegion::ConfigBaseUrl(url) => format!("configBaseUrl: {},", script_string(url)),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Messenger</title>
<script>
var integrationId = {integration_id};
var webMessengerVersion = {sdk_version};
var webLoaderUrl = {loader_url};
function showStatus(text) {{
  var status = document.getElementById("status");
  if (status) status.textContent = text;
  else window.addEventListener("DOMContentLoaded", function () {{ showStatus(text); }});
}}
(function (window, document, integrationId, version) {{
  // Calls made before the SDK arrives are queued, then replayed on the real one.
  var initArgs, initCallbacks = [], onArgs = [], renderArgs, destroyArgs;
  window.Smooch = {{
    init: function () {{
      initArgs = arguments;
      var pending = {{
        then: function (next) {{ initCallbacks.push(["then", next]); return pending; }},
        catch: function (next) {{ initCallbacks.push(["catch", next]); return pending; }}
      }};
      return pending;
    }},
    on: function () {{ onArgs.push(arguments); }},
    render: function () {{ renderArgs = arguments; }},
    destroy: function () {{ destroyArgs = arguments; }}
  }};
  window.__onWebMessengerHostReady__ = function (sdk) {{
    delete window.__onWebMessengerHostReady__;
    window.Smooch = sdk;
    if (initArgs) {{
      var result = sdk.init.apply(sdk, initArgs);
      initCallbacks.forEach(function (callback) {{ result = result[callback[0]](callback[1]); }});
    }}
    if (renderArgs) sdk.render.apply(sdk, renderArgs);
    if (destroyArgs) sdk.destroy.apply(sdk, destroyArgs);
    onArgs.forEach(function (args) {{ sdk.on.apply(sdk, args); }});
  }};
  // The loader answers the script of each major ("v5") and pinned minor ("v5.7.patch").
  var parts = version.split(".");
  var request = new XMLHttpRequest();
  request.responseType = "json";
  request.timeout = 15000;
  request.addEventListener("load", function () {{
    var answer = request.status === 200 && request.response ? request.response : {{}};
    var src = parts.length === 3
      ? answer["v" + parts[0] + "." + parts[1] + ".patch"] || "https://cdn.smooch.io/smooch." + version + ".min.js"
      : answer["v" + parts[0]];
    if (!src) {{
      showStatus("The messenger could not be loaded: no Web Messenger " + version + " for this integration.");
      return;
    }}
    var script = document.createElement("script");
    script.async = true;
    script.src = src;
    script.addEventListener("error", function () {{
      showStatus("The messenger could not be loaded (its script did not arrive).");
    }});
    document.head.appendChild(script);
  }});
  var failed = function () {{ showStatus("The messenger could not be loaded (its loader did not answer)."); }};
  request.addEventListener("error", failed);
  request.addEventListener("timeout", failed);
  request.open("GET", webLoaderUrl.replace("{{integrationId}}", encodeURIComponent(integrationId)), true);
  request.send();
}})(window, document, integrationId, webMessengerVersion);
</script>
</head>
<body>
<p>Signed in as {email}. <form method="post" action="/logout" style="display:inline"><button type="submit">Sign out</button></form></p>
<p id="status"></p>
<script>
var messengerToken = (function () {{
  var current = null;   // the newest token fetched
  var handed = null;    // the token the Web Messenger was last given
  var refresh = null;
  function fetchToken() {{
    return fetch("/messenger/jwt", {{ method: "POST", credentials: "same-origin" }})
      .then(function (response) {{
        if (!response.ok) throw new Error("no messenger token (" + response.status + ")");
        return response.json();
      }})
      .then(function (token) {{
        current = token;
        schedule(token);
        return token;
      }});
  }}
  // The next token is fetched at four fifths of this one's life.
  function schedule(token) {{
    clearTimeout(refresh);
    var life = token.expiresAt * 1000 - Date.now();
    refresh = setTimeout(function () {{
      fetchToken().catch(function (error) {{ showStatus(String(error)); }});
    }}, Math.max(life * 0.8, 1000));
  }}
  function usable(token) {{
    return token && token.expiresAt * 1000 - Date.now() > 2000;
  }}
  return {{
    first: function () {{
      return fetchToken().then(function (token) {{ handed = token.jwt; return token; }});
    }},
    // The Web Messenger's token was refused: a fresher one than it had.
    renew: function () {{
      var next = usable(current) && current.jwt !== handed ? Promise.resolve(current) : fetchToken();
      return next.then(function (token) {{ handed = token.jwt; return token.jwt; }});
    }}
  }};
}})();
messengerToken.first()
  .then(function (token) {{
    return Smooch.init({{
      integrationId: integrationId,
      {region_options}
      externalId: token.externalId,
      jwt: token.jwt,
      delegate: {{
        onInvalidAuth: function () {{
          return messengerToken.renew().catch(function (error) {{
            showStatus(String(error));
            throw error;
          }});
        }}
      }}
    }});
  }})
  .catch(function (error) {{ showStatus("The messenger could not start: " + String(error)); }});
</script>
</body>
</html>
"#
    )
}

/// A JavaScript string literal safe inside `<script>`: JSON, with `<` escaped so the text
/// cannot close the element.
fn script_string(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace('<', "\\u003c")
}

/// Text safe inside HTML.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={value}")).unwrap(),
        );
        headers
    }

    #[test]
    fn sessions_verify_and_expire() {
        let sessions = Session::new(&SecretString::from("key-secret"));
        let value = sessions.issue("jane@example.com", now_secs() + 60);
        assert_eq!(
            sessions.user(&with_cookie(&value)).as_deref(),
            Some("jane@example.com")
        );
        let expired = sessions.issue("jane@example.com", now_secs() - 1);
        assert_eq!(sessions.user(&with_cookie(&expired)), None);
        // Another email under the same signature is refused.
        let (_, rest) = value.split_once('.').unwrap();
        let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode("eve@example.com"));
        assert_eq!(sessions.user(&with_cookie(&forged)), None);
        // So is a session signed under another key.
        let other =
            Session::new(&SecretString::from("another")).issue("jane@example.com", now_secs() + 60);
        assert_eq!(sessions.user(&with_cookie(&other)), None);
        assert_eq!(sessions.user(&with_cookie("garbage")), None);
        assert_eq!(sessions.user(&HeaderMap::new()), None);
    }

    #[test]
    fn the_web_messenger_talks_to_the_bridges_sunco_host() {
        use zendesk_sunco_bridge::config::SunCoHost;
        assert_eq!(
            WebRegion::for_host(&SunCoHost::SmoochUs),
            WebRegion::Default
        );
        assert_eq!(
            WebRegion::for_host(&SunCoHost::SmoochEu),
            WebRegion::Region("eu-1".into())
        );
        assert_eq!(
            WebRegion::for_host(&SunCoHost::Zendesk("acme".into())),
            WebRegion::ConfigBaseUrl("https://acme.zendesk.com/sc/".into())
        );
        for (url, region) in [
            ("https://api.smooch.io", WebRegion::Default),
            (
                "https://api.eu-1.smooch.io/",
                WebRegion::Region("eu-1".into()),
            ),
            (
                "https://acme.zendesk.com/sc",
                WebRegion::ConfigBaseUrl("https://acme.zendesk.com/sc/".into()),
            ),
        ] {
            assert_eq!(
                WebRegion::for_host(&SunCoHost::BaseUrl(url.into())),
                region,
                "{url}"
            );
        }
        let page = messenger_page(
            "int",
            "a@b",
            "5",
            &WebRegion::Region("eu-1".into()),
            WEB_LOADER_URL,
        );
        assert!(page.contains(r#"region: "eu-1","#));
        let page = messenger_page(
            "int",
            "a@b",
            "5.7.19",
            &WebRegion::ConfigBaseUrl("https://acme.zendesk.com/sc/".into()),
            WEB_LOADER_URL,
        );
        assert!(page.contains(r#"configBaseUrl: "https://acme.zendesk.com/sc/","#));
        assert!(page.contains(r#"var webMessengerVersion = "5.7.19";"#));
    }

    #[test]
    fn only_web_messenger_5_and_later_is_loaded() {
        for good in ["5", "5.7", "5.7.19", "6"] {
            assert!(valid_sdk_version(good), "{good}");
        }
        for bad in ["4", "4.9.0", "latest", "5.x", "", "5..1", "5.7.19.1"] {
            assert!(!valid_sdk_version(bad), "{bad}");
        }
    }

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(script_string("a</script>\""), r#""a\u003c/script>\"""#);
        assert_eq!(html_text("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
