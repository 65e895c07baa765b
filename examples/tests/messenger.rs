//! The messenger page and `POST /messenger/jwt` of the real `bridge-server`: a token only for
//! the signed-in user, and the page initialising the Web Messenger with it in headless
//! Chromium (driven through ChromeDriver; SunCo's loader is unreachable, so the test hands the
//! page a stub SDK the way the loader would).

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::browser::*;
use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const INTEGRATION_ID: &str = "5e8a9a1c7d2b3e0012345678";

fn start_messenger(zendesk: &MockServer, sunco: &MockServer) -> Server {
    start_with(
        &zendesk.uri(),
        &sunco.uri(),
        &[("SUNCO_INTEGRATION_ID", INTEGRATION_ID)],
    )
}

/// The session cookie the stand-in login sets for `email`.
async fn sign_in(base: &str, email: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client
        .post(format!("{base}/login"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let cookie = answer
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

/// The claims of a SunCo user token, if it verifies under the app key.
fn verified(token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.kid.as_deref(), Some("app_key"));
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(b"key-secret").unwrap(),
        &validation,
    )
    .unwrap()
    .claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_issued_only_for_the_signed_in_user() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    let server = start_messenger(&zendesk, &sunco);
    let client = reqwest::Client::new();
    let jwt_url = format!("{}/messenger/jwt", server.base);

    // Not signed in: no token, whatever the request says.
    let anonymous = client
        .post(&jwt_url)
        .json(&json!({"externalId": "jane@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let page = client.get(&server.base).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("action=\"/login\""));

    // Signed in as Jane: a token for Jane, even when the request names someone else.
    let cookie = sign_in(&server.base, "jane@example.com").await;
    let answer = client
        .post(&jwt_url)
        .header("cookie", &cookie)
        .json(&json!({"externalId": "eve@example.com", "email": "eve@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let token: Value = answer.json().await.unwrap();
    assert_eq!(token["externalId"], "jane@example.com");
    let claims = verified(token["jwt"].as_str().unwrap());
    assert_eq!(claims["scope"], "user");
    assert_eq!(claims["external_id"], "jane@example.com");
    assert!(claims["exp"].as_u64().is_some(), "tokens expire");

    // A tampered cookie (Eve's email under Jane's signature) gets nothing.
    let (name_and_email, rest) = cookie.split_once('.').unwrap();
    let (name, _) = name_and_email.split_once('=').unwrap();
    use base64::Engine;
    let eve = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("eve@example.com");
    let tampered = client
        .post(&jwt_url)
        .header("cookie", format!("{name}={eve}.{rest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);

    let logs = server.stop_and_read_logs();
    assert!(!logs.contains("key-secret"), "{logs}");
    assert!(
        !logs.contains(token["jwt"].as_str().unwrap()),
        "tokens stay out of logs"
    );
}

/// How long the page's tokens live in the browser test: a few seconds, so that a page kept
/// open sees several expire.
const SHORT_TOKEN_LIFE_SECS: u64 = 3;

/// A stub Web Messenger build, served as a script the way the loader's answer names it: it
/// hands itself over through the page's `__onWebMessengerHostReady__` hook, keeps `init`'s
/// options, and `__send` (below) plays a message sent with its current token.
const STUB_BUILD: &str = r#"
window.__build = "v5";
window.__onWebMessengerHostReady__({
    init: function (options) {
        window.__initOptions = options;
        window.__jwt = options.jwt;
        return Promise.resolve();
    },
    on: function () {}, render: function () {}, destroy: function () {}
});
"#;

/// A summary of what `Smooch.init` was given, or null before it is called.
const INIT_OPTIONS: &str = r#"
    var options = window.__initOptions;
    if (!options) return null;
    return {
        build: window.__build,
        integrationId: options.integrationId, externalId: options.externalId, jwt: options.jwt,
        userId: options.userId || null, region: options.region || null,
        configBaseUrl: options.configBaseUrl || null,
        onInvalidAuth: typeof (options.delegate && options.delegate.onInvalidAuth)
    };
"#;

/// Sends one message through the stub, which, like SunCo, refuses an expired token and asks
/// the page's `onInvalidAuth` delegate for a new one first; calls back `{ok, renewed, jwt}`.
const STUB_SEND: &str = r#"
    var done = arguments[arguments.length - 1];
    var claims = JSON.parse(atob(window.__jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    var send = function (renewed) { done({ok: true, renewed: renewed, jwt: window.__jwt}); };
    if (claims.exp * 1000 > Date.now()) return send(false);
    window.__initOptions.delegate.onInvalidAuth()
        .then(function (jwt) { window.__jwt = jwt; send(true); })
        .catch(function (error) { done({ok: false, error: String(error)}); });
"#;

/// The page's status line, or null before the messenger page is shown.
const STATUS_LINE: &str =
    "var status = document.getElementById('status'); return status ? status.textContent : null;";

/// A stand-in for SunCo's Web Messenger loader: it answers, as SunCo's does, the script URL of
/// each major and of the seed-era `url`; `v5` is the stub build, `url` a build that must not
/// be loaded.
async fn fake_loader(answer_v5: bool) -> MockServer {
    let loader = MockServer::start().await;
    let mut answer = json!({"url": format!("{}/seed-era.js", loader.uri())});
    if answer_v5 {
        answer["v5"] = json!(format!("{}/sdk-v5.js", loader.uri()));
    }
    Mock::given(method("GET"))
        .and(path("/loader"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("access-control-allow-origin", "*")
                .set_body_json(answer),
        )
        .mount(&loader)
        .await;
    Mock::given(method("GET"))
        .and(path("/sdk-v5.js"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/javascript")
                .set_body_string(STUB_BUILD),
        )
        .mount(&loader)
        .await;
    Mock::given(method("GET"))
        .and(path("/seed-era.js"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/javascript")
                .set_body_string("window.__build = 'seed-era';"),
        )
        .expect(0)
        .mount(&loader)
        .await;
    loader
}

/// A browser session (a fresh profile, so no cookie of an earlier test) signed in to
/// `server` through the stand-in form, as a user would.
struct Page {
    client: reqwest::Client,
    url: String,
    _profile: tempfile::TempDir,
}

impl Page {
    async fn open(driver: &Driver, chromium: &str, server: &Server) -> Self {
        let client = reqwest::Client::new();
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--no-first-run",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let session = command(&client, format!("{}/session", driver.url), capabilities).await;
        let session_id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        let page = Self {
            client,
            url: format!("{}/session/{session_id}", driver.url),
            _profile: profile,
        };
        page.command("/url", json!({"url": server.base})).await;
        let email = page
            .command(
                "/element",
                json!({"using": "css selector", "value": "input[name=email]"}),
            )
            .await;
        page.command(
            &format!("/element/{}/value", element_id(&email)),
            json!({"text": "jane@example.com"}),
        )
        .await;
        let submit = page
            .command(
                "/element",
                json!({"using": "css selector", "value": "button[type=submit]"}),
            )
            .await;
        page.command(
            &format!("/element/{}/click", element_id(&submit)),
            json!({}),
        )
        .await;
        page
    }

    async fn command(&self, suffix: &str, body: Value) -> Value {
        command(&self.client, format!("{}{suffix}", self.url), body).await
    }

    async fn run(&self, script: &str) -> Value {
        self.command("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Runs `script` until it answers something other than null or "" (up to 10 s).
    async fn wait_for(&self, script: &str) -> Value {
        let mut answer = Value::Null;
        for _ in 0..100 {
            answer = self.run(script).await;
            // Null, empty, or a script error while the page is still loading: not yet.
            if !answer.is_null() && answer != "" && answer.get("error").is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        answer
    }

    async fn close(self) {
        let _ = self.client.delete(&self.url).send().await;
    }
}

fn messenger_env<'a>(loader: &'a str, life: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SUNCO_INTEGRATION_ID", INTEGRATION_ID),
        ("SUNCO_WEB_LOADER_URL", loader),
        ("MESSENGER_TOKEN_LIFETIME", life),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_keeps_the_messenger_signed_in_in_chromium() {
    let Some((chromium, driver_path)) = browser() else {
        return;
    };
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    let loader = fake_loader(true).await;
    let loader_url = format!("{}/loader?integration={{integrationId}}", loader.uri());
    let life = format!("{SHORT_TOKEN_LIFE_SECS}s");
    let server = start_with(
        &zendesk.uri(),
        &sunco.uri(),
        &messenger_env(&loader_url, &life),
    );
    let driver = start_driver(&driver_path).await;
    let page = Page::open(&driver, &chromium, &server).await;

    let options = page.wait_for(INIT_OPTIONS).await;
    assert!(options.is_object(), "Smooch.init was not called: {options}");
    assert_eq!(
        options["build"], "v5",
        "the loader's v5 build, not its `url`"
    );
    assert_eq!(options["integrationId"], INTEGRATION_ID);
    assert_eq!(options["externalId"], "jane@example.com");
    assert_eq!(
        options["userId"],
        Value::Null,
        "Web Messenger 5 takes externalId"
    );
    assert_eq!(options["onInvalidAuth"], "function");
    // The host the bridge's own SunCo calls go to (a fake here; for a Zendesk account
    // https://{subdomain}.zendesk.com/sc/).
    assert_eq!(options["configBaseUrl"], format!("{}/", sunco.uri()));
    let first = options["jwt"].as_str().unwrap().to_owned();
    let claims = verified(&first);
    assert_eq!(claims["external_id"], "jane@example.com");
    assert_eq!(claims["scope"], "user");
    let loader_asked = loader.received_requests().await.unwrap();
    assert!(
        loader_asked[0]
            .url
            .query()
            .is_some_and(|q| q.contains(INTEGRATION_ID)),
        "the loader is asked for this integration"
    );

    // The page stays open past several token lives: each send after expiry is refused, the
    // page hands over a new token, and the message goes.
    let mut seen = vec![first];
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(SHORT_TOKEN_LIFE_SECS * 1000 + 300)).await;
        if round == 0 {
            // Before any send was refused, the page already fetched the next token.
            let logs = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap();
            assert!(
                logs.matches("messenger token issued").count() >= 2,
                "the next token is fetched before the first expires"
            );
        }
        let sent = page
            .command("/execute/async", json!({"script": STUB_SEND, "args": []}))
            .await;
        assert_eq!(sent["ok"], true, "round {round}: {sent}");
        assert_eq!(
            sent["renewed"], true,
            "round {round}: the old token had expired"
        );
        let jwt = sent["jwt"].as_str().unwrap().to_owned();
        let claims = verified(&jwt);
        assert_eq!(claims["external_id"], "jane@example.com");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            claims["exp"].as_u64().unwrap() > now,
            "round {round}: a live token"
        );
        assert!(!seen.contains(&jwt), "round {round}: a new token");
        seen.push(jwt);
    }
    let status = page
        .run("return document.getElementById('status').textContent")
        .await;
    assert_eq!(status, "", "no error shown");
    page.close().await;
    let logs = server.stop_and_read_logs();
    let issued = logs.matches("messenger token issued").count();
    // The first, then one fetched ahead of each expiry (renewals hand those over).
    assert!(issued >= 4, "{issued} tokens issued:\n{logs}");
    for token in &seen {
        assert!(!logs.contains(token.as_str()), "tokens stay out of logs");
    }
    assert_no_secrets(&logs);
}

/// A loader with no Web Messenger 5 for the integration, and a pinned build whose script never
/// arrives: the page says so in its status line instead of staying blank.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_that_cannot_load_says_so() {
    let Some((chromium, driver_path)) = browser() else {
        return;
    };
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    let loader = fake_loader(false).await;
    let loader_url = format!("{}/loader", loader.uri());
    let driver = start_driver(&driver_path).await;
    for (version, expected) in [
        ("5", "no Web Messenger 5 for this integration"),
        ("5.7.19", "its script did not arrive"),
    ] {
        let mut env = messenger_env(&loader_url, "1h");
        env.push(("SUNCO_WEB_MESSENGER_VERSION", version));
        let server = start_with(&zendesk.uri(), &sunco.uri(), &env);
        let page = Page::open(&driver, &chromium, &server).await;
        let status = page.wait_for(STATUS_LINE).await;
        page.close().await;
        assert!(
            status.as_str().is_some_and(|text| text.contains(expected)),
            "{version}: {status}"
        );
    }
}

#[test]
fn a_web_messenger_older_than_5_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bridge-server"))
        .env_clear()
        .env("ZENDESK_BASE_URL", "http://127.0.0.1:9")
        .env("ZENDESK_BOT_AGENT_EMAIL", "bot@acme.test")
        .env("ZENDESK_BOT_AGENT_API_TOKEN", "zd-token")
        .env("ZENDESK_TARGET_PASSWORD", "target-pass")
        .env("ZENDESK_WEBHOOK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SUNCO_APP_ID", "app_1")
        .env("SUNCO_KEY_ID", "app_key")
        .env("SUNCO_KEY_SECRET", "key-secret")
        .env("SUNCO_WEBHOOK_SECRET", "sunco-secret")
        .env("SUNCO_BASE_URL", "http://127.0.0.1:9")
        .env(
            "LINK_STORE_URL",
            format!("sqlite://{}", dir.path().join("links.db").display()),
        )
        .env("BIND", "127.0.0.1:0")
        .env("SUNCO_WEB_MESSENGER_VERSION", "4.9.0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SUNCO_WEB_MESSENGER_VERSION"), "{stderr}");
}
