//! The messenger page and `POST /messenger/jwt` of the real `bridge-server`: a token only for
//! the signed-in user, and the page initialising the Web Messenger with it in headless
//! Chromium (driven through ChromeDriver; SunCo's loader is unreachable, so the test hands the
//! page a stub SDK the way the loader would).

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::MockServer;

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
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(b"key-secret"), &validation)
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

/// ChromeDriver on a free port, with a scratch profile; killed on drop.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Paths of Debian's `chromium` and `chromium-driver`, or `None` (with a loud line) when
/// they are not installed. `.ci/run` installs them; under `CI=true` their absence fails.
fn browser() -> Option<(String, String)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .find(|path| std::path::Path::new(path).exists())
            .map(|path| (*path).to_owned())
    };
    let chromium = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let driver = find(&["/usr/bin/chromedriver"]);
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromium and chromium-driver are required under CI"
            );
            eprintln!(
                "SKIPPED: install Debian's chromium and chromium-driver for the browser test"
            );
            None
        }
    }
}

async fn start_driver(driver: &str) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: tempfile::tempdir().unwrap(),
    };
    let client = reqwest::Client::new();
    let status_url = format!("{}/status", driver.url);
    assert!(
        eventually(|| async {
            client
                .get(&status_url)
                .send()
                .await
                .is_ok_and(|answer| answer.status().is_success())
        })
        .await,
        "chromedriver did not start"
    );
    driver
}

/// One W3C WebDriver command; answers its `value`.
async fn command(client: &reqwest::Client, url: String, body: Value) -> Value {
    let answer: Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["value"].clone()
}

fn element_id(found: &Value) -> String {
    found["element-6066-11e4-a52e-4f735466cecf"]
        .as_str()
        .unwrap_or_else(|| panic!("no element in {found}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_initialises_the_messenger_for_the_signed_in_user_in_chromium() {
    let Some((chromium, driver_path)) = browser() else {
        return;
    };
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    let server = start_messenger(&zendesk, &sunco);
    let driver = start_driver(&driver_path).await;
    let client = reqwest::Client::new();
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run",
                     format!("--user-data-dir={}", driver._profile.path().display())]
        }
    }}});
    let session = command(&client, format!("{}/session", driver.url), capabilities).await;
    let session_id = session["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"))
        .to_owned();
    let at = |suffix: &str| format!("{}/session/{session_id}{suffix}", driver.url);

    // Sign in through the stand-in form, as a user would.
    command(&client, at("/url"), json!({"url": server.base})).await;
    let email = command(
        &client,
        at("/element"),
        json!({"using": "css selector", "value": "input[name=email]"}),
    )
    .await;
    command(
        &client,
        at(&format!("/element/{}/value", element_id(&email))),
        json!({"text": "jane@example.com"}),
    )
    .await;
    let submit = command(
        &client,
        at("/element"),
        json!({"using": "css selector", "value": "button[type=submit]"}),
    )
    .await;
    command(
        &client,
        at(&format!("/element/{}/click", element_id(&submit))),
        json!({}),
    )
    .await;

    // Hand the page a stub SDK through the loader's hook, as SunCo's loader script would,
    // and read what `Smooch.init` was given.
    let stub = r#"
        if (!window.__initOptions && window.__onWebMessengerHostReady__) {
            window.__onWebMessengerHostReady__({
                init: function (options) { window.__initOptions = options; return Promise.resolve(); },
                on: function () {}, render: function () {}, destroy: function () {}
            });
        }
        return window.__initOptions || null;
    "#;
    let mut options = Value::Null;
    for _ in 0..100 {
        options = command(
            &client,
            at("/execute/sync"),
            json!({"script": stub, "args": []}),
        )
        .await;
        if options.is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = client.delete(at("")).send().await;
    assert!(options.is_object(), "Smooch.init was not called: {options}");
    assert_eq!(options["integrationId"], INTEGRATION_ID);
    assert_eq!(options["externalId"], "jane@example.com");
    assert_eq!(options["userId"], "jane@example.com");
    let claims = verified(options["jwt"].as_str().unwrap());
    assert_eq!(claims["external_id"], "jane@example.com");
    assert_eq!(claims["scope"], "user");
}
