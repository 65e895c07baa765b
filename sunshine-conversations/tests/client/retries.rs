//! Auth, rate limits, retries and timeouts.

use super::*;

#[tokio::test]
async fn jwt_auth_sends_an_app_scoped_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json()))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder_for(&server)
        .auth(Auth::jwt("app_key", "key-secret"))
        .build()
        .unwrap();
    client.users().get("u1").await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    let value = request.headers["authorization"].to_str().unwrap();
    let token = value.strip_prefix("Bearer ").expect("bearer");
    let claims = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["scope"], "app");
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_then_succeeds_even_for_a_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(posted())
        .mount(&server)
        .await;
    let messages = client_for(&server)
        .messages()
        .post("c1", &NewMessage::new(NewContent::text("hi")))
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_429_honours_retry_after_when_present() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json()))
        .mount(&server)
        .await;
    let started = Instant::now();
    client_for(&server).users().get("u1").await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_500_is_retried_for_reads_but_not_for_a_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    client.users().get("u1").await.unwrap();
    let error = client
        .messages()
        .post("c1", &NewMessage::new(NewContent::text("hi")))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
}

#[tokio::test]
async fn a_timed_out_message_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(posted().set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder_for(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client
        .messages()
        .post("c1", &NewMessage::new(NewContent::text("hi")))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The call has returned: a retry, had there been one, was sent before.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_answers_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/html"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/truncated"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"user":{"id":"u"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/wrong"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"user":{"id":5}}"#))
        .mount(&server)
        .await;
    let client = builder_for(&server)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.users().get("html").await.unwrap_err();
    assert_eq!(error.status(), Some(502));
    assert!(matches!(
        client.users().get("truncated").await,
        Err(Error::Decode { .. })
    ));
    match client.users().get("wrong").await {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "user.id"),
        other => panic!("{other:?}"),
    }
}

/// `setup` finds the custom integration it made before (over pages: `page[after]` is the last
/// id read) and points its webhook at a new target in place.
#[tokio::test]
async fn custom_integrations_are_listed_across_pages_and_their_webhook_updated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/integrations"))
        .and(query_param("filter[types]", "custom"))
        .and(query_param("page[after]", "int1"))
        .and(header("authorization", "Basic YXBwX2tleTprZXktc2VjcmV0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "integrations": [{"id": "int2", "type": "custom", "displayName": "Zendesk bridge",
                              "webhooks": [{"id": "wh2", "target": "https://old.example/hook",
                                            "triggers": ["conversation:message"]}]}],
            "meta": {"hasMore": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/integrations"))
        .and(query_param("filter[types]", "custom"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "integrations": [{"id": "int1", "type": "custom", "displayName": "Something else",
                              "status": "active"}],
            "meta": {"hasMore": true}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/apps/app_1/integrations/int2/webhooks/wh2"))
        .and(body_json(json!({
            "target": "https://new.example/hook", "triggers": ["conversation:message"]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"webhook": {
            "id": "wh2", "target": "https://new.example/hook",
            "triggers": ["conversation:message"], "secret": "s3cr3t"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client_for(&server);
    let integrations = client.integrations().list_custom().await.unwrap();
    let ids: Vec<&str> = integrations.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["int1", "int2"]);
    assert_eq!(integrations[1].webhooks[0].id, "wh2");
    let updated = client
        .integrations()
        .update_webhook(
            "int2",
            "wh2",
            "https://new.example/hook",
            &["conversation:message"],
        )
        .await
        .unwrap();
    assert_eq!(updated.target.as_deref(), Some("https://new.example/hook"));
}
