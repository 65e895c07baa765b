//! The operator page of the real `bridge-server` (`ADMIN_TOKEN`): without the token a visitor
//! sees a sign-in form and nothing else; signed in, in headless Chromium, the operator sees
//! the failed entry with its reason and requeues it from the page, and it is delivered.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::browser::*;
use common::*;
use meya_links::SqliteStore;
use meya_links::prelude::*;
use serde_json::{Value, json};
use sunshine_conversations::testing::FakeSunCo;
use zendesk_support::testing::{FakeZendesk, Fault, FaultRule};

const ADMIN_TOKEN: &str = "admin-token-7c1e";

async fn failed_count(server: &Server) -> u64 {
    let store = SqliteStore::open(server.dir.path().join("links.db"))
        .await
        .unwrap();
    store.inbox_stats().await.unwrap().failed
}

/// The server, with one webhook the worker gave up on (Zendesk refused the bot: 403).
async fn server_with_a_failed_entry() -> (FakeZendesk, FakeSunCo, Server) {
    let zendesk = FakeZendesk::builder()
        .signing_secret(SIGNING_SECRET)
        .basic_auth("meya", "target-pass")
        .start()
        .await
        .unwrap();
    let sunco = FakeSunCo::builder()
        .app_id("app_1")
        .webhook_secret("sunco-secret")
        .start()
        .await
        .unwrap();
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane", "jane@example.com");
    sunco.add_user("jane@example.com");
    let server = start_with(zendesk.url(), sunco.url(), &[("ADMIN_TOKEN", ADMIN_TOKEN)]);
    zendesk
        .control()
        .fail(FaultRule::new(Fault::Status(403)).path_prefix("/api/v2/tickets/"));
    let (ticket, _) = zendesk.open_ticket(jane, agent, "Your part shipped.");
    zendesk.add_tags(ticket, &["sunco_send"]);
    let webhook = zendesk.ticket_webhook(ticket, agent).unwrap();
    let answer = webhook
        .send_to(&format!("{}/webhooks/zendesk", server.base))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(eventually(|| async { failed_count(&server).await == 1 }).await);
    (zendesk, sunco, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_token_the_page_shows_nothing_and_changes_nothing() {
    let (_zendesk, _sunco, server) = server_with_a_failed_entry().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let admin = format!("{}/admin", server.base);
    for cookie in [
        None,
        Some("bridge_admin=forged"),
        Some(&*format!("bridge_admin={ADMIN_TOKEN}")),
    ] {
        let mut request = client.get(&admin);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401, "{cookie:?}");
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("name=token") && !body.contains("Failed entries"),
            "{body}"
        );
        assert!(!body.contains("403"), "no reason shown: {body}");
    }
    let wrong = client
        .post(format!("{admin}/login"))
        .form(&[("token", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let requeue = client
        .post(format!("{admin}/requeue"))
        .form(&[("all", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(requeue.status(), 401);
    assert_eq!(failed_count(&server).await, 1, "nothing requeued");
    let logs = server.stop_and_read_logs();
    assert!(!logs.contains(ADMIN_TOKEN));
    assert_no_secrets(&logs);
}

/// A WebDriver session on a fresh Chromium profile.
struct Session {
    client: reqwest::Client,
    url: String,
    _profile: tempfile::TempDir,
}

impl Session {
    async fn open(driver: &Driver, chromium: &str) -> Self {
        let client = reqwest::Client::new();
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--window-size=1100,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let session = command(&client, format!("{}/session", driver.url), capabilities).await;
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"));
        Self {
            url: format!("{}/session/{id}", driver.url),
            client,
            _profile: profile,
        }
    }

    async fn command(&self, suffix: &str, body: Value) -> Value {
        command(&self.client, format!("{}{suffix}", self.url), body).await
    }

    async fn go(&self, url: &str) {
        self.command("/url", json!({"url": url})).await;
    }

    async fn text(&self, script: &str) -> String {
        let answer = self
            .command("/execute/sync", json!({"script": script, "args": []}))
            .await;
        answer.as_str().unwrap_or_default().to_owned()
    }

    /// The page's text once it holds `wanted` (a form's answer may still be loading), or
    /// as it stands after 5 s.
    async fn text_once_it_holds(&self, wanted: &str) -> String {
        let mut text = String::new();
        for _ in 0..50 {
            text = self.text(BODY_TEXT).await;
            if text.contains(wanted) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        text
    }

    async fn click(&self, selector: &str) {
        let found = self
            .command(
                "/element",
                json!({"using": "css selector", "value": selector}),
            )
            .await;
        self.command(&format!("/element/{}/click", element_id(&found)), json!({}))
            .await;
    }

    async fn sign_in(&self, token: &str) {
        let field = self
            .command(
                "/element",
                json!({"using": "css selector", "value": "input[name=token]"}),
            )
            .await;
        self.command(
            &format!("/element/{}/value", element_id(&field)),
            json!({"text": token}),
        )
        .await;
        self.click("button[type=submit]").await;
    }

    /// The page as a PNG.
    async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let answer: Value = self
            .client
            .get(format!("{}/screenshot", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(answer["value"].as_str().unwrap())
            .unwrap()
    }

    async fn close(self) {
        let _ = self.client.delete(&self.url).send().await;
    }
}

const BODY_TEXT: &str = "return document.body ? document.body.innerText : '';";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_requeues_a_failed_entry_from_the_page_in_chromium() {
    let Some((chromium, driver_path)) = browser() else {
        return;
    };
    let (zendesk, sunco, server) = server_with_a_failed_entry().await;
    let driver = start_driver(&driver_path).await;
    let page = Session::open(&driver, &chromium).await;
    let admin = format!("{}/admin", server.base);

    page.go(&admin).await;
    page.sign_in("not the token").await;
    let refused = page.text_once_it_holds("Wrong token.").await;
    assert!(
        refused.contains("Wrong token.") && !refused.contains("Failed entries"),
        "{refused}"
    );

    page.go(&admin).await;
    page.sign_in(ADMIN_TOKEN).await;
    let shown = page.text_once_it_holds("Failed entries").await;
    assert!(shown.contains("Failed entries"), "{shown}");
    assert!(shown.contains("403"), "the reason is shown: {shown}");
    assert!(shown.contains("zendesk:ticket:"), "{shown}");
    assert_eq!(
        page.text("return String(document.querySelectorAll('#failed button.requeue').length);")
            .await,
        "1"
    );
    if let Ok(path) = std::env::var("ADMIN_SCREENSHOT") {
        std::fs::write(path, page.screenshot().await).unwrap();
    }

    // The cause is fixed; the operator requeues the entry from the page.
    zendesk.control().clear_faults();
    page.click("#failed button.requeue").await;
    assert!(eventually(|| async { failed_count(&server).await == 0 }).await);
    assert!(eventually(|| async { !sunco.conversations()[0].messages.is_empty() }).await);
    // The batch is reported just after the message reaches SunCo: reload until it shows.
    let mut after = String::new();
    for _ in 0..50 {
        page.go(&admin).await;
        after = page.text(BODY_TEXT).await;
        if after.contains("delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        after.contains("None.") && after.contains("delivered"),
        "{after}"
    );
    page.close().await;
    let logs = server.stop_and_read_logs();
    assert!(!logs.contains(ADMIN_TOKEN));
}
