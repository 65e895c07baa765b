//! Rate limits, retries and timeouts.

use super::*;

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    let started = Instant::now();
    let ticket = client_for(&server).tickets().get(1).await.unwrap();
    assert_eq!(ticket.id, 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "did not wait");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_503_on_a_write_is_retried_because_zendesk_did_not_act() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    let updated = client_for(&server)
        .tickets()
        .update(1, &TicketUpdate::status(TicketStatus::Open))
        .await
        .unwrap();
    assert_eq!(updated.ticket.id, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_exhausted_budget_is_a_typed_rate_limit_with_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .insert_header("x-zendesk-request-id", "req-9")
                .set_body_string("Too Many Requests"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let client = bearer_builder(&server)
        .retry(fast_retries(2))
        .build()
        .unwrap();
    match client.tickets().get(1).await {
        Err(Error::RateLimited { retry_after, error }) => {
            assert_eq!(retry_after, Some(Duration::ZERO));
            assert_eq!(error.request_id.as_deref(), Some("req-9"));
            assert_eq!(error.description.as_deref(), Some("Too Many Requests"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_past_the_cap_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "600"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = client_for(&server).tickets().get(1).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(
        error,
        Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(600)
    ));
    assert_eq!(error.status(), Some(429));
}

#[tokio::test]
async fn a_500_on_a_read_is_retried_with_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    assert_eq!(client_for(&server).tickets().get(1).await.unwrap().id, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_timed_out_comment_is_not_sent_twice() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(800))
                .set_body_json(json!({"ticket": {"id": 1}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = bearer_builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client
        .tickets()
        .update(1, &TicketUpdate::comment(NewComment::text("hello")))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The call has returned: a retry, had there been one, was sent before.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_an_http_error() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:1")
        .unwrap()
        .auth(Auth::bearer("t"))
        .retry(fast_retries(1))
        .build()
        .unwrap();
    let error = client.tickets().get(1).await.unwrap_err();
    assert!(matches!(error, Error::Http(_)), "{error:?}");
}

#[tokio::test]
async fn every_error_shape_becomes_a_typed_error() {
    let server = MockServer::start().await;
    let cases = [
        (
            "/api/v2/tickets/404",
            404,
            r#"{"error":"RecordNotFound","description":"Not found"}"#,
            Some("RecordNotFound"),
        ),
        (
            "/api/v2/tickets/401",
            401,
            r#"{"error":"Couldn't authenticate you"}"#,
            Some("Couldn't authenticate you"),
        ),
        (
            "/api/v2/tickets/422",
            422,
            r#"{"errors":[{"code":"Invalid","title":"Bad","detail":"x"}]}"#,
            Some("Invalid"),
        ),
        (
            "/api/v2/tickets/403",
            403,
            "<html><body>Forbidden</body></html>",
            None,
        ),
        ("/api/v2/tickets/400", 400, "", None),
    ];
    for (at, status, body, _) in &cases {
        Mock::given(method("PUT"))
            .and(path(*at))
            .respond_with(ResponseTemplate::new(*status).set_body_string(*body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client_for(&server);
    for (at, status, body, code) in cases {
        let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
        let error = client
            .tickets()
            .update(id, &TicketUpdate::status(TicketStatus::Open))
            .await
            .unwrap_err();
        let Error::Api(api) = &error else {
            panic!("{at}: {error:?}")
        };
        assert_eq!(api.status, status);
        assert_eq!(api.code.as_deref(), code, "{at}");
        assert_eq!(api.body, body);
        assert!(error.to_string().contains(&status.to_string()));
    }
}

#[tokio::test]
async fn a_bad_success_body_names_the_failing_field() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ticket":{"id":"abc"}}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ticket":{"id":2,"stat"#))
        .mount(&server)
        .await;
    let client = client_for(&server);
    match client.tickets().get(1).await {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "ticket.id"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.tickets().get(2).await,
        Err(Error::Decode { .. })
    ));
}

/// With a budget of three requests a minute, three go at once and the fourth waits its turn
/// (twenty seconds later) instead of reaching Zendesk and being refused; without a budget
/// nothing is held back.
#[tokio::test]
async fn a_requests_per_minute_budget_holds_back_the_request_beyond_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/35436"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("ticket")))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let budgeted = bearer_builder(&server)
        .auth(Auth::api_token("agent@acme.test", "api-tok-123"))
        .requests_per_minute(3)
        .build()
        .unwrap();
    for _ in 0..3 {
        budgeted.tickets().get(35436).await.unwrap();
    }
    let tickets = budgeted.tickets();
    let fourth = tokio::time::timeout(Duration::from_millis(300), tickets.get(35436)).await;
    assert!(fourth.is_err(), "the fourth waits for its turn");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert!(format!("{budgeted:?}").contains("per_minute: 3"));

    let unbudgeted = client_for(&server);
    for _ in 0..10 {
        unbudgeted.tickets().get(35436).await.unwrap();
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 13);
}

mod oauth {
    use super::*;

    fn token_request() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/oauth/tokens"))
            .and(body_json(json!({
                "grant_type": "client_credentials",
                "client_id": "bridge",
                "client_secret": "oauth-secret",
                "scope": "read write",
                "expires_in": 3600
            })))
    }

    fn token_mock(token: &'static str) -> Mock {
        token_request().respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "token_type": "bearer", "scope": "read write",
            "expires_in": 3600
        })))
    }

    fn oauth_client(server: &MockServer) -> Client {
        bearer_builder(server)
            .auth(Auth::client_credentials("bridge", "oauth-secret"))
            .retry(fast_retries(2))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn many_waiting_requests_cause_one_mint() {
        let server = MockServer::start().await;
        token_request()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_delay(Duration::from_millis(200))
                    .set_body_json(json!({"access_token": "tok-1", "expires_in": 3600})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/tickets/1"))
            .and(header("authorization", "Bearer tok-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
            .expect(10)
            .mount(&server)
            .await;
        catch_all(&server).await;
        let client = oauth_client(&server);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let client = client.clone();
            tasks.spawn(async move { client.tickets().get(1).await });
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.unwrap().unwrap().id, 1);
        }
    }

    #[tokio::test]
    async fn a_401_mints_once_more_and_retries_once() {
        let server = MockServer::start().await;
        token_mock("tok-old")
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        token_mock("tok-new").mount(&server).await;
        Mock::given(method("GET"))
            .and(header("authorization", "Bearer tok-old"))
            .respond_with(
                ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid_token"}"#),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/tickets/1"))
            .and(header("authorization", "Bearer tok-new"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
            .expect(1)
            .mount(&server)
            .await;
        catch_all(&server).await;
        assert_eq!(oauth_client(&server).tickets().get(1).await.unwrap().id, 1);
    }

    #[tokio::test]
    async fn a_second_401_is_returned_not_looped() {
        let server = MockServer::start().await;
        token_mock("tok").expect(2).mount(&server).await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid_token"}"#),
            )
            .expect(2)
            .mount(&server)
            .await;
        let error = oauth_client(&server).tickets().get(1).await.unwrap_err();
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.code(), Some("invalid_token"));
    }

    #[tokio::test]
    async fn a_refused_client_is_a_typed_error_without_the_secret() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/tokens"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let client = oauth_client(&server);
        let error = client.tickets().get(1).await.unwrap_err();
        assert_eq!(error.code(), Some("invalid_client"));
        let shown = format!("{error} {error:?} {client:?}");
        assert!(!shown.contains("oauth-secret"), "{shown}");
    }
}

/// `setup` finds what it installed before: webhooks and triggers are listed over every cursor
/// page, and a webhook is updated in place (Zendesk answers 204).
#[tokio::test]
async fn webhooks_and_triggers_are_listed_across_pages_and_updated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("page[size]", "100"))
        .and(query_param("page[after]", "c1"))
        .and(header("authorization", BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhooks": [{"id": "W2", "name": "Bridge", "endpoint": "https://old.example/hook",
                          "status": "active", "subscriptions": ["conditional_ticket_events"]}],
            "meta": {"has_more": false, "after_cursor": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhooks": [{"id": "W1", "name": "Other", "subscriptions": null, "unknown": 1}],
            "meta": {"has_more": true, "after_cursor": "c1"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/webhooks/W2"))
        .and(body_json(json!({"webhook": {
            "name": "Bridge", "endpoint": "https://new.example/hook", "http_method": "POST",
            "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth", "add_position": "header",
                               "data": {"username": "meya", "password": "target-pass"}}
        }})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [{"id": 77, "title": "Bridge", "active": true,
                          "conditions": {"all": [], "any": []}, "actions": []}],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client_for(&server);
    let webhooks = client.webhooks().list().all().await.unwrap();
    let ids: Vec<&str> = webhooks.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["W1", "W2"]);
    assert_eq!(
        webhooks[1].endpoint.as_deref(),
        Some("https://old.example/hook")
    );
    client
        .webhooks()
        .update(
            "W2",
            &NewWebhook::for_triggers("Bridge", "https://new.example/hook")
                .basic_auth("meya", "target-pass"),
        )
        .await
        .unwrap();
    let triggers = client.triggers().list().all().await.unwrap();
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0].title.as_deref(), Some("Bridge"));
}

#[tokio::test]
async fn triggers_with_null_conditions_or_actions_decode() {
    // Zendesk's API description marks `conditions.all` and `conditions.any` nullable; one such
    // trigger in an account must not break listing all of them.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [
                {"id": 1, "title": "Nulls", "active": true,
                 "conditions": {"all": null, "any": null}, "actions": null},
                {"id": 2, "title": "Half", "active": false,
                 "conditions": {"all": [{"field": "status", "operator": "less_than", "value": "solved"}]},
                 "actions": [{"field": "status", "value": "open"}]},
                {"id": 3, "title": "No value", "conditions": {"any": [{"field": "update_type", "operator": "changed"}]}}
            ],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let triggers = client_for(&server).triggers().list().all().await.unwrap();
    assert_eq!(triggers.len(), 3);
    let nulls = triggers[0].conditions.as_ref().unwrap();
    assert!(nulls.all.is_empty() && nulls.any.is_empty());
    assert!(triggers[0].actions.is_empty());
    let half = triggers[1].conditions.as_ref().unwrap();
    assert_eq!(half.all[0].value, json!("solved"));
    assert!(half.any.is_empty());
    let no_value = triggers[2].conditions.as_ref().unwrap();
    assert_eq!(no_value.any[0].value, serde_json::Value::Null);
}
