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

/// Trigger operations beyond create, list and update, against Zendesk's examples.
#[tokio::test]
async fn every_trigger_operation() {
    use super::oas::{example, expect, zendesk};
    use zendesk_support::TriggerChange;

    let (server, client) = zendesk().await;
    let triggers = client.triggers();
    expect(
        &server,
        "GET",
        "/api/v2/triggers/25",
        &[],
        None,
        200,
        example("GetTrigger"),
    )
    .await;
    let trigger = triggers.get(25).await.unwrap();
    // Zendesk sends the category id as a string of digits.
    assert_eq!(
        (trigger.position, trigger.category_id),
        (Some(8), Some(10026))
    );
    expect(
        &server,
        "GET",
        "/api/v2/triggers/active",
        &[],
        None,
        200,
        example("ListActiveTriggers"),
    )
    .await;
    assert_eq!(triggers.list_active().all().await.unwrap().len(), 2);
    expect(
        &server,
        "GET",
        "/api/v2/triggers/search",
        &[("query", "close")],
        None,
        200,
        example("SearchTriggers"),
    )
    .await;
    triggers.search("close").all().await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/triggers/25",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    triggers.delete(25).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/triggers/destroy_many",
        &[("ids", "25,26")],
        None,
        204,
        json!(null),
    )
    .await;
    triggers.destroy_many(&[25, 26]).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/triggers/reorder",
        &[],
        Some(json!({"trigger_ids": [26, 25]})),
        200,
        example("ReorderTriggers"),
    )
    .await;
    triggers.reorder(&[26, 25]).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/triggers/update_many",
        &[],
        Some(json!({"triggers": [{"id": 25, "position": 1}, {"id": 26, "active": false}]})),
        200,
        example("UpdateManyTriggers"),
    )
    .await;
    let updated = triggers
        .update_many(&[
            TriggerChange::new(25).position(1),
            TriggerChange::new(26).active(false),
        ])
        .await
        .unwrap();
    assert_eq!(updated.len(), 2);
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers/25/revisions"))
        .and(wiremock::matchers::query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("ListTriggerRevisions")))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "GET",
        "/api/v2/triggers/25/revisions",
        &[("cursor", "MTUwMTYwNzUyMi4wfHwxMzQ3NTMxNjcxfA==")],
        None,
        200,
        json!({"trigger_revisions": [], "after_cursor": null}),
    )
    .await;
    let revisions = triggers.revisions(25).all().await.unwrap();
    assert!(!revisions.is_empty());
    expect(
        &server,
        "GET",
        "/api/v2/triggers/25/revisions/1",
        &[],
        None,
        200,
        example("TriggerRevision"),
    )
    .await;
    let revision = triggers.revision(25, 1).await.unwrap();
    assert_eq!(revision.author_id, Some(3343));
    expect(
        &server,
        "GET",
        "/api/v2/triggers/definitions",
        &[],
        None,
        200,
        example("ListTriggerActionConditionDefinitions"),
    )
    .await;
    assert!(triggers.definitions().await.unwrap()["actions"].is_array());
}

/// Webhook operations beyond create, list, update and the signing secret. Zendesk's
/// webhooks API is not in its Support API description: the answers are shaped as its
/// webhooks reference documents them.
#[tokio::test]
async fn every_webhook_operation() {
    use super::oas::{expect, zendesk};
    use wiremock::matchers::header;

    let (server, client) = zendesk().await;
    let webhooks = client.webhooks();
    let one = json!({"webhook": {"id": "01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "name": "Bridge",
        "endpoint": "https://bridge.example/webhooks/zendesk", "http_method": "POST",
        "request_format": "json", "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        "created_at": "2020-10-20T08:16:28Z", "created_by": "1234567"}});
    let at = "/api/v2/webhooks/01GDXYD7ZTWYP4TD6KPCDJ4D2Q";
    expect(&server, "GET", at, &[], None, 200, one.clone()).await;
    let webhook = webhooks.get("01GDXYD7ZTWYP4TD6KPCDJ4D2Q").await.unwrap();
    assert_eq!(webhook.request_format.as_deref(), Some("json"));
    assert!(webhook.created_at.is_some());
    expect(
        &server,
        "GET",
        "/api/v2/webhooks",
        &[("filter[name_contains]", "Bri")],
        None,
        200,
        json!({"webhooks": [one["webhook"]], "meta": {"has_more": false}}),
    )
    .await;
    assert_eq!(webhooks.list_named("Bri").all().await.unwrap().len(), 1);
    expect(
        &server,
        "POST",
        "/api/v2/webhooks",
        &[("clone_webhook_id", "01GDXYD7ZTWYP4TD6KPCDJ4D2Q")],
        None,
        201,
        one.clone(),
    )
    .await;
    webhooks
        .clone_webhook("01GDXYD7ZTWYP4TD6KPCDJ4D2Q")
        .await
        .unwrap();
    Mock::given(method("PATCH"))
        .and(path(at))
        .and(header("content-type", "application/merge-patch+json"))
        .and(body_json(json!({"webhook": {"status": "inactive"}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    webhooks
        .patch("01GDXYD7ZTWYP4TD6KPCDJ4D2Q", &json!({"status": "inactive"}))
        .await
        .unwrap();
    expect(&server, "POST", "/api/v2/webhooks/test", &[("webhook_id", "01GDXYD7ZTWYP4TD6KPCDJ4D2Q")], Some(json!({"request": {"payload": "{\"ticket_id\": 1}"}})), 200, json!({"response": {"status": 200, "headers": [{"key": "Content-Type", "value": "text/plain"}], "body": "ok"}})).await;
    let tested = webhooks
        .test("01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "{\"ticket_id\": 1}")
        .await
        .unwrap();
    assert_eq!(
        (tested.status, tested.body.as_deref()),
        (Some(200), Some("ok"))
    );
    expect(
        &server,
        "POST",
        &format!("{at}/signing_secret"),
        &[],
        None,
        200,
        json!({"signing_secret": {"algorithm": "SHA256", "secret": "dGhpcyBpcyBhIHNlY3JldA=="}}),
    )
    .await;
    let secret = webhooks
        .reset_signing_secret("01GDXYD7ZTWYP4TD6KPCDJ4D2Q")
        .await
        .unwrap();
    assert_eq!(
        zendesk_support::ExposeSecret::expose_secret(&secret),
        "dGhpcyBpcyBhIHNlY3JldA=="
    );
    expect(&server, "GET", &format!("{at}/invocations"), &[], None, 200, json!({"invocations": [{"id": "inv1", "event": {"event_type": "conditional_ticket_events", "ticket_id": 1}, "latest_completed_attempt": {"status": "success", "status_code": 200}}], "meta": {"has_more": false}})).await;
    let invocations = webhooks
        .invocations("01GDXYD7ZTWYP4TD6KPCDJ4D2Q")
        .all()
        .await
        .unwrap();
    assert_eq!(invocations[0].id, "inv1");
    expect(&server, "GET", &format!("{at}/invocations/inv1/attempts"), &[], None, 200, json!({"attempts": [{"id": "at1", "status": "success", "status_code": 200, "invoked_at": "2022-01-01T10:00:00Z", "duration": 85}]})).await;
    let attempts = webhooks
        .attempts("01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "inv1")
        .await
        .unwrap();
    assert_eq!(
        (attempts[0].status_code, attempts[0].duration),
        (Some(200), Some(85))
    );
    expect(&server, "DELETE", at, &[], None, 204, json!(null)).await;
    webhooks.delete("01GDXYD7ZTWYP4TD6KPCDJ4D2Q").await.unwrap();
}
