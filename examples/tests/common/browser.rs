//! Headless Chromium through ChromeDriver (W3C WebDriver over HTTP), for the page tests.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::eventually;

/// ChromeDriver on a free port; killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Paths of Debian's `chromium` and `chromium-driver`, or `None` (with a loud line) when
/// they are not installed. `.ci/run` installs them; under `CI=true` their absence fails.
pub fn browser() -> Option<(String, String)> {
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

pub async fn start_driver(driver: &str) -> Driver {
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
pub async fn command(client: &reqwest::Client, url: String, body: Value) -> Value {
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

pub fn element_id(found: &Value) -> String {
    found["element-6066-11e4-a52e-4f735466cecf"]
        .as_str()
        .unwrap_or_else(|| panic!("no element in {found}"))
        .to_owned()
}
