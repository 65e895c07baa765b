//! Comments SunCo refuses, and SunCo's length rule.

use super::*;

#[tokio::test]
async fn a_refused_comment_is_recorded_noted_once_and_the_next_goes_on() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_comments(
        &fakes,
        json!([
            {"id": 1001, "author_id": 9, "public": true, "body": "Here is the form: {{broken}}"},
            {"id": 1002, "author_id": 9, "public": true, "body": "And the next thing."}
        ]),
        json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(body_partial_json(
            json!({"metadata": {"zendesk_comment_id": "1001"}}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"code": "bad_request", "title": "Invalid message content"}]})))
        .with_priority(1)
        .mount(&fakes.sunco)
        .await;
    mount_messages(&fakes).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(
            json!({"ticket": {"comment": {"public": false}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 9300, "type": "Comment"}]}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "");

    let first = zendesk_webhook(&bridge).await;
    let first = comments_of(&first);
    assert_eq!(first.refused.len(), 1, "{first:?}");
    assert_eq!(first.refused[0].comment_id, 1001);
    assert!(first.refused[0].reason.contains("Invalid message content"));
    assert_eq!(
        first
            .delivered
            .iter()
            .map(|d| d.comment_id)
            .collect::<Vec<_>>(),
        [1002],
        "the next comment still went"
    );
    let notes = requests(&fakes.zendesk, "PUT", "/api/v2/tickets/4021").await;
    let note = notes[0]["ticket"]["comment"]["body"].as_str().unwrap();
    assert!(
        note.contains("1001") && note.contains("Invalid message content"),
        "{note}"
    );

    // Later webhooks neither retry it nor note it again.
    let second = zendesk_webhook(&bridge).await;
    assert!(comments_of(&second).refused.is_empty() && comments_of(&second).delivered.is_empty());
    let refused = store
        .delivery_get(ZENDESK_SUPPORT, "1001")
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&refused.state, DeliveryState::Failed { reason } if reason.contains("Invalid message content")),
        "{refused:?}"
    );
    assert_eq!(requests(&fakes.sunco, "POST", MESSAGES).await.len(), 2);
}

/// SunCo as the API description has it: `text` over 4096 characters is refused, and so is a
/// `markdownText` whose HTML is. This fake renders links with the extra attributes a real
/// renderer may add, so its HTML is longer than the bridge's own estimate.
fn sunco_length_rule(request: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let content = &body["content"];
    let too_long = |text: &str| text.encode_utf16().count() > 4096;
    let refused = if let Some(markdown) = content["markdownText"].as_str() {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
        let html = html.replace("<a ", "<a target=\"_blank\" rel=\"noopener noreferrer\" ");
        too_long(markdown) || too_long(&html)
    } else {
        content["text"].as_str().is_some_and(too_long)
    };
    if refused {
        return ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"code": "bad_request", "title": "Message content exceeds 4096 characters"}]}));
    }
    let id = format!(
        "m-{}",
        body["metadata"]["zendesk_part"].as_str().unwrap_or("x")
    );
    ResponseTemplate::new(201).set_body_json(json!({"messages": [
        {"id": id, "author": {"type": "business"}, "content": content}]}))
}

/// A linked thread whose ticket has one agent comment, and SunCo answering by its length rule.
async fn one_agent_comment_and_sunco_length_rule(body: &str) -> (Fakes, Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_comments(
        &fakes,
        json!([{"id": 1001, "author_id": 9, "public": true, "body": body}]),
        json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]),
    )
    .await;
    answer(&fakes.sunco, "POST", MESSAGES, sunco_length_rule).await;
    (fakes, store)
}

#[tokio::test]
async fn a_long_markdown_comment_full_of_links_arrives_whole_in_parts_sunco_accepts() {
    let mut comment = String::from("# Your order\n\n");
    let mut item = 0;
    while comment.chars().count() < 10_000 {
        item += 1;
        comment.push_str(&format!(
            "- step {item}: open [the tracking page](https://track.example.test/orders/77/steps/{item}?lang=en) and check\n  the box labelled **{item}**\n"
        ));
        if item % 9 == 0 {
            comment.push_str("\nThen, in a new paragraph, a line\nbreak and _emphasis_.\n\n");
        }
    }
    let (fakes, store) = one_agent_comment_and_sunco_length_rule(&comment).await;
    let bridge = fakes.bridge(Arc::clone(&store), "extract_html_links = false");
    let outcome = zendesk_webhook(&bridge).await;
    let outcome = comments_of(&outcome);
    assert!(outcome.refused.is_empty(), "{outcome:?}");
    assert_eq!(outcome.delivered.len(), 1);
    let posts = requests(&fakes.sunco, "POST", MESSAGES).await;
    let accepted: Vec<&Value> = posts
        .iter()
        .filter(|post| {
            let key = post["metadata"]["zendesk_part"].as_str().unwrap();
            outcome.delivered[0]
                .message_ids
                .contains(&format!("m-{key}"))
        })
        .collect();
    assert!(accepted.len() >= 3, "{} parts", accepted.len());
    assert!(
        posts.len() > accepted.len(),
        "the fake's renderer refused at least one part the bridge then cut smaller"
    );
    let rejoined: String = accepted
        .iter()
        .map(|post| post["content"]["markdownText"].as_str().unwrap())
        .collect();
    let squeeze = |text: &str| text.replace(['\n', ' '], "");
    assert_eq!(
        squeeze(&rejoined),
        squeeze(&comment),
        "nothing lost, in order"
    );
    for post in &accepted {
        let text = post["content"]["markdownText"].as_str().unwrap();
        // No link cut in half.
        assert_eq!(
            text.matches("](").count(),
            text.matches("[the").count(),
            "{text}"
        );
    }
}

#[tokio::test]
async fn emoji_near_the_limit_are_counted_as_sunco_counts_them() {
    // 4094 characters, but 4098 UTF-16 code units (each emoji counts two): over the limit
    // as SunCo counts, within it as Rust's `chars()` would.
    let text = format!("{}{}", "a".repeat(4090), "😀😀😀😀");
    assert_eq!(text.chars().count(), 4094);
    assert_eq!(text.encode_utf16().count(), 4098);
    let (fakes, _) = one_agent_comment_and_sunco_length_rule(&text).await;
    for markdown in ["false", "true"] {
        let bridge = fakes.bridge(
            Arc::new(MemoryStore::new()),
            &format!("markdown = {markdown}"),
        );
        let store = bridge.store().clone();
        linked(&store).await;
        let outcome = zendesk_webhook(&bridge).await;
        let outcome = comments_of(&outcome);
        assert!(
            outcome.refused.is_empty(),
            "markdown {markdown}: {outcome:?}"
        );
        assert_eq!(
            outcome.delivered[0].message_ids.len(),
            2,
            "markdown {markdown}"
        );
    }
    let posts = requests(&fakes.sunco, "POST", MESSAGES).await;
    assert_eq!(posts.len(), 4, "two parts each time, none refused");
}

// ---------------------------------------------------------------------------------------
// 4. A customer's file: never lost, never a way in.

/// A fake internal service (a metadata endpoint, an admin port) that must never be asked.
async fn internal_service() -> MockServer {
    let internal = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("SECRET=hunter2"))
        .expect(0)
        .mount(&internal)
        .await;
    internal
}

fn image(url: &str) -> Value {
    json!({"type": "image", "mediaUrl": url, "mediaType": "image/png", "text": "the box"})
}

async fn send_image(
    bridge: &zendesk_sunco_bridge::Bridge,
    event_id: &str,
    url: &str,
) -> Vec<SunCoEventOutcome> {
    bridge
        .handle_sunco_webhook(
            &sunco_headers(SUNCO_KEY),
            envelope(json!([user_message(
                event_id,
                &format!("msg-{event_id}"),
                image(url)
            )]))
            .as_bytes(),
        )
        .await
        .unwrap()
}

async fn comment_bodies(fakes: &Fakes) -> Vec<String> {
    requests(&fakes.zendesk, "PUT", "/api/v2/tickets/4021")
        .await
        .iter()
        .map(|put| {
            put["ticket"]["comment"]["body"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn mount_any_update(fakes: &Fakes) {
    answer(
        &fakes.zendesk,
        "PUT",
        "/api/v2/tickets/4021",
        ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 9001, "type": "Comment"}]}
        })),
    )
    .await;
}

#[tokio::test]
async fn a_file_that_cannot_be_fetched_still_gives_a_comment_with_its_link() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    let media = MockServer::start().await;
    answer(&media, "GET", "/gone.png", ResponseTemplate::new(404)).await;
    answer(
        &media,
        "GET",
        "/slow.png",
        ResponseTemplate::new(200)
            .set_body_bytes(vec![1, 2, 3])
            .set_delay(std::time::Duration::from_secs(3)),
    )
    .await;
    mount_any_update(&fakes).await;
    let settings = format!(
        "auto_reopen_ticket = false\napi_timeout = \"250ms\"\nmedia_hosts = [\"{}\"]\nmedia_allow_private_addresses = true",
        media.address()
    );
    let bridge = fakes.bridge(Arc::clone(&store), &settings);
    for (event, name) in [("ev-1", "gone.png"), ("ev-2", "slow.png")] {
        let url = format!("{}/{name}", media.uri());
        let outcomes = send_image(&bridge, event, &url).await;
        assert!(
            matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }),
            "{name}: {outcomes:?}"
        );
    }
    let bodies = comment_bodies(&fakes).await;
    assert_eq!(bodies.len(), 2, "each reply once, not retried for its file");
    for (body, name) in bodies.iter().zip(["gone.png", "slow.png"]) {
        assert!(body.starts_with("the box\n\n"), "{body}");
        assert!(
            body.contains(&format!("{name}: {}/{name}", media.uri())),
            "{body}"
        );
        assert!(body.contains("could not be attached"), "{body}");
    }
    assert!(
        requests(&fakes.zendesk, "POST", "/api/v2/uploads")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn media_urls_outside_sunco_or_on_private_addresses_are_never_fetched() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_any_update(&fakes).await;
    let internal = internal_service().await;
    // An allowed media host that redirects to the internal service.
    let media = MockServer::start().await;
    answer(
        &media,
        "GET",
        "/redirect.png",
        ResponseTemplate::new(302)
            .insert_header("location", format!("{}/latest/meta-data/", internal.uri())),
    )
    .await;

    // Private addresses allowed (so the loopback fakes work), the internal one not listed.
    let permissive = fakes.bridge(
        Arc::clone(&store),
        &format!(
            "auto_reopen_ticket = false\nmedia_hosts = [\"{}\"]\nmedia_allow_private_addresses = true",
            media.address()
        ),
    );
    send_image(
        &permissive,
        "ev-1",
        &format!("{}/latest/meta-data/", internal.uri()),
    )
    .await;
    send_image(
        &permissive,
        "ev-2",
        &format!("{}/redirect.png", media.uri()),
    )
    .await;
    // Listed by name but resolving to loopback, with private addresses refused (the
    // default); and a link-local metadata address written out.
    let strict = fakes.bridge(
        Arc::clone(&store),
        &format!(
            "auto_reopen_ticket = false\nmedia_hosts = [\"localhost:{}\", \"169.254.169.254\"]",
            internal.address().port()
        ),
    );
    send_image(
        &strict,
        "ev-3",
        &format!("http://localhost:{}/x.png", internal.address().port()),
    )
    .await;
    send_image(
        &strict,
        "ev-4",
        "http://169.254.169.254/latest/meta-data/iam",
    )
    .await;
    send_image(&strict, "ev-5", "file:///etc/passwd").await;

    let bodies = comment_bodies(&fakes).await;
    assert_eq!(
        bodies.len(),
        5,
        "every message still became a comment: {bodies:?}"
    );
    for body in &bodies {
        assert!(body.contains("could not be attached"), "{body}");
        assert!(!body.contains("hunter2"), "{body}");
    }
    assert!(
        bodies[0].contains("not one of SunCo's media hosts"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[1].contains("not one of SunCo's media hosts"),
        "{}",
        bodies[1]
    );
    assert!(bodies[2].contains("public address"), "{}", bodies[2]);
    assert!(bodies[3].contains("not a public address"), "{}", bodies[3]);
    assert!(
        requests(&fakes.zendesk, "POST", "/api/v2/uploads")
            .await
            .is_empty()
    );
    // `internal` verifies on drop that it saw no request.
}

// ---------------------------------------------------------------------------------------
// 7. Two updates are never one.

#[tokio::test]
async fn two_updates_in_one_second_are_two_deliveries_and_a_retry_is_one() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_messages(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let now = time::OffsetDateTime::now_utc();
    let invocation = |id: &str, at| {
        let mut headers = signed_at(&body, "target-pass", at);
        headers.insert("x-zendesk-webhook-invocation-id", id.parse().unwrap());
        headers
    };
    // The first update (a comment); its webhook is processed before the second exists.
    let first = bridge
        .accept_zendesk_webhook(&invocation("8350205582", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((first.recorded, first.duplicates), (1, 0));
    let comment_1001 = json!({"id": 1001, "author_id": 9, "public": true, "body": "First"});
    let agent = json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]);
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [comment_1001], "users": agent, "meta": {"has_more": false}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    bridge.inbox_worker().drain().await.unwrap();
    // The second update in the same second: same body, same timestamp, same signature.
    mount_comments(
        &fakes,
        json!([comment_1001, {"id": 1002, "author_id": 9, "public": true, "body": "Second"}]),
        agent,
    )
    .await;
    let second = bridge
        .accept_zendesk_webhook(&invocation("8350205583", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        (second.recorded, second.duplicates),
        (1, 0),
        "a second delivery"
    );
    // Zendesk's retry of the second invocation (signed afresh) and a replay of it: one.
    let retried = bridge
        .accept_zendesk_webhook(
            &invocation("8350205583", now + time::Duration::seconds(30)),
            body.as_bytes(),
        )
        .await
        .unwrap();
    let replayed = bridge
        .accept_zendesk_webhook(&invocation("8350205583", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((retried.recorded, replayed.recorded), (0, 0));
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert!(
        reports
            .iter()
            .all(|report| report.outcome == zendesk_sunco_bridge::BatchOutcome::Done)
    );
    let sent: Vec<String> = sent_messages(&fakes)
        .await
        .iter()
        .map(|m| m["content"]["markdownText"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["First", "Second"], "the second comment did not wait");
    // Without the invocation header, the signature still tells a replay apart.
    let plain = signed_at(&body, "target-pass", now);
    let once = bridge
        .accept_zendesk_webhook(&plain, body.as_bytes())
        .await
        .unwrap();
    let again = bridge
        .accept_zendesk_webhook(&plain, body.as_bytes())
        .await
        .unwrap();
    assert_eq!((once.recorded, again.duplicates), (1, 1));
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!(stats.failed, 0);
}
