//! The webhooks and triggers admin APIs.

use super::*;

#[tokio::test]
async fn webhook_and_trigger_admin() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .and(body_json(json!({"webhook": {
            "name": "Bridge", "endpoint": "https://bridge.example/webhooks/zendesk",
            "http_method": "POST", "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth",
                               "data": {"username": "meya", "password": "target-pass"},
                               "add_position": "header"}
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"webhook": {
            "id": "01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "name": "Bridge", "status": "active",
            "subscriptions": ["conditional_ticket_events"]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v2/webhooks/01GDXYD7ZTWYP4TD6KPCDJ4D2Q/signing_secret",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "signing_secret": {"algorithm": "SHA256", "secret": "dGhpc19zZWNyZXQ="}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let trigger_body = json!({"trigger": {
        "title": "Bridge", "active": true,
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_webhook",
                     "value": ["01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "{\"ticket\":{\"id\":\"{{ticket.id}}\"}}"]}]
    }});
    let trigger_answer = ResponseTemplate::new(200).set_body_json(json!({"trigger": {
        "id": 77, "title": "Bridge", "active": true,
        "conditions": {"all": [], "any": []}, "actions": []
    }}));
    Mock::given(method("POST"))
        .and(path("/api/v2/triggers"))
        .and(body_json(trigger_body.clone()))
        .respond_with(trigger_answer.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/triggers/77"))
        .and(body_json(trigger_body))
        .respond_with(trigger_answer)
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client_for(&server);
    let webhook_request =
        NewWebhook::for_triggers("Bridge", "https://bridge.example/webhooks/zendesk")
            .basic_auth("meya", "target-pass");
    assert!(!format!("{webhook_request:?}").contains("target-pass"));
    let webhook = client.webhooks().create(&webhook_request).await.unwrap();
    let secret = client.webhooks().signing_secret(&webhook.id).await.unwrap();
    assert_eq!(
        zendesk_support::ExposeSecret::expose_secret(&secret),
        "dGhpc19zZWNyZXQ="
    );

    let trigger = NewTrigger::new(
        "Bridge",
        Conditions::all(vec![Condition::new("update_type", "is", "Create")]),
        vec![Action::notify_webhook(
            &webhook.id,
            r#"{"ticket":{"id":"{{ticket.id}}"}}"#,
        )],
    );
    assert_eq!(client.triggers().create(&trigger).await.unwrap().id, 77);
    assert_eq!(client.triggers().update(77, &trigger).await.unwrap().id, 77);
}
