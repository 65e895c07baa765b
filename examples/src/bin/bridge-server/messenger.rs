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
/// How long an issued user JWT is valid; the page asks for a new one on each load.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// What the page and the token endpoint need.
pub(crate) struct Messenger {
    /// `SUNCO_INTEGRATION_ID`: the Web Messenger integration the page opens.
    integration_id: Option<String>,
    key_id: String,
    key_secret: SecretString,
    sessions: Session,
    stand_in_login: bool,
}

impl Messenger {
    /// `stand_in_login`: serve the stand-in login form (only on a loopback address).
    pub(crate) fn new(
        integration_id: Option<String>,
        key_id: &str,
        key_secret: &SecretString,
        stand_in_login: bool,
    ) -> Self {
        Self {
            integration_id,
            key_id: key_id.to_owned(),
            key_secret: key_secret.clone(),
            sessions: Session::new(key_secret),
            stand_in_login,
        }
    }
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
    Html(messenger_page(integration_id, &email)).into_response()
}

/// `POST /messenger/jwt`: a SunCo user token for the signed-in user, and their external id.
/// The request body is never read: the identity comes from the session alone.
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
        Some(TOKEN_LIFETIME),
    );
    match token {
        Ok(token) => {
            info!("messenger token issued");
            let body = serde_json::json!({ "externalId": email, "jwt": token });
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
/// script hands over the real one through `__onWebMessengerHostReady__`), then
/// `Smooch.init` with the token fetched for the signed-in user.
fn messenger_page(integration_id: &str, email: &str) -> String {
    let integration_id = script_string(integration_id);
    let email = html_text(email);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Messenger</title>
<script>
var integrationId = {integration_id};
(function (window, document, integrationId) {{
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
  // The loader answers {{"url": ...}}: the SDK script for this integration.
  var request = new XMLHttpRequest();
  request.responseType = "json";
  request.addEventListener("load", function () {{
    var url = request.response && request.response.url;
    if (!url) return;
    var script = document.createElement("script");
    script.async = true;
    script.src = url;
    document.head.appendChild(script);
  }});
  request.open("GET", "https://" + integrationId + ".webloader.smooch.io/", true);
  request.send();
}})(window, document, integrationId);
</script>
</head>
<body>
<p>Signed in as {email}. <form method="post" action="/logout" style="display:inline"><button type="submit">Sign out</button></form></p>
<p id="status"></p>
<script>
fetch("/messenger/jwt", {{ method: "POST", credentials: "same-origin" }})
  .then(function (response) {{
    if (!response.ok) throw new Error("no messenger token (" + response.status + ")");
    return response.json();
  }})
  .then(function (token) {{
    // Web Messenger 5+ reads `externalId`; `userId` is the seed's (pre-5.0) name for it.
    return Smooch.init({{
      integrationId: integrationId,
      externalId: token.externalId,
      userId: token.externalId,
      jwt: token.jwt
    }});
  }})
  .catch(function (error) {{ document.getElementById("status").textContent = String(error); }});
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
    fn page_text_is_escaped() {
        assert_eq!(script_string("a</script>\""), r#""a\u003c/script>\"""#);
        assert_eq!(html_text("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
