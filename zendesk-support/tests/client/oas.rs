//! What the per-operation checks share: Zendesk's own example answers
//! (`fixtures/oas_examples.json`, taken from its API description and keyed by operation
//! id) and one mock per expected request.

use serde_json::Value;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{catch_all, client_for};

pub(crate) fn example(operation: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("../fixtures/oas_examples.json")).unwrap();
    all.get(operation)
        .cloned()
        .unwrap_or_else(|| panic!("no example for {operation}"))
}

/// Expects exactly one `verb path` with these query pairs (and this JSON body, when given),
/// answered `status` with `answer`.
pub(crate) async fn expect(
    server: &MockServer,
    verb: &str,
    at: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
    status: u16,
    answer: Value,
) {
    let mut mock = Mock::given(method(verb)).and(path(at));
    for (name, value) in query {
        mock = mock.and(query_param(*name, *value));
    }
    if let Some(body) = body {
        mock = mock.and(body_json(body));
    }
    let response = if status == 204 {
        ResponseTemplate::new(204)
    } else {
        ResponseTemplate::new(status).set_body_json(answer)
    };
    mock.respond_with(response).expect(1).mount(server).await;
}

/// A fake Zendesk that answers 500 to anything not expected, and a client for it.
pub(crate) async fn zendesk() -> (MockServer, zendesk_support::Client) {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_for(&server);
    (server, client)
}
