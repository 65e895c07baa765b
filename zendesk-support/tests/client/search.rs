//! Search and incremental exports, one check per operation, and the three paginations
//! walked over several pages.

use futures_util::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};
use zendesk_support::{Error, SearchResult, SearchType};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn search_count_and_export() {
    let (server, client) = zendesk().await;
    expect(
        &server,
        "GET",
        "/api/v2/search",
        &[
            ("query", "type:group hello"),
            ("sort_by", "created_at"),
            ("sort_order", "desc"),
        ],
        None,
        200,
        example("ListSearchResults"),
    )
    .await;
    let page = client
        .search()
        .query_sorted("type:group hello", "created_at", true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.count, Some(1234));
    assert!(page.has_more);
    assert_eq!(page.next_page, Some(2));
    let SearchResult::Group(group) = &page.items[0] else {
        panic!("{:?}", page.items[0])
    };
    assert_eq!(group.name.as_deref(), Some("Hello DJs"));
    assert_eq!(page.items[1].id(), Some(122));

    expect(
        &server,
        "GET",
        "/api/v2/search/count",
        &[("query", "type:ticket status:open")],
        None,
        200,
        example("CountSearchResults"),
    )
    .await;
    assert_eq!(
        client
            .search()
            .count("type:ticket status:open")
            .await
            .unwrap(),
        6
    );

    expect(
        &server,
        "GET",
        "/api/v2/search/export",
        &[
            ("query", "hello"),
            ("filter[type]", "ticket"),
            ("page[size]", "100"),
        ],
        None,
        200,
        example("ExportSearchResults"),
    )
    .await;
    let exported = client
        .search()
        .export("hello", SearchType::Ticket)
        .send()
        .await
        .unwrap();
    assert!(exported.after_cursor.is_some());
    assert!(matches!(
        client.search().count(" ").await,
        Err(Error::Config(_))
    ));
}

/// Offset pages are followed by number until `next_page` is null.
#[tokio::test]
async fn a_search_walks_its_offset_pages() {
    let (server, client) = zendesk().await;
    let result = |id: i64| json!({"id": id, "result_type": "user", "name": format!("u{id}")});
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [result(1), result(2)], "count": 3,
            "next_page": "https://acme.zendesk.com/api/v2/search.json?page=2&query=type%3Auser"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [result(3), {"id": 9, "result_type": "article", "title": "FAQ"}],
            "count": 3, "next_page": null})))
        .expect(1)
        .mount(&server)
        .await;
    let found = client.search().query("type:user").all().await.unwrap();
    let ids: Vec<Option<i64>> = found.iter().map(SearchResult::id).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3), Some(9)]);
    assert!(matches!(&found[3], SearchResult::Unknown(raw) if raw["title"] == "FAQ"));
}

#[tokio::test]
async fn incremental_exports() {
    let (server, client) = zendesk().await;
    let exports = client.incremental();
    expect(
        &server,
        "GET",
        "/api/v2/incremental/tickets/cursor",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalTicketExportCursor"),
    )
    .await;
    let tickets = exports.tickets(1332034771).all().await.unwrap();
    assert_eq!(tickets[0].external_id.as_deref(), Some("ahg35h3jh"));
    expect(
        &server,
        "GET",
        "/api/v2/incremental/tickets",
        &[("start_time", "1332034771"), ("per_page", "3")],
        None,
        200,
        example("IncrementalTicketExportTime"),
    )
    .await;
    let page = exports
        .tickets_by_time(1332034771)
        .page_size(3)
        .send()
        .await
        .unwrap();
    assert_eq!(page.end_time, Some(1390362485));
    assert!(!page.has_more, "end_of_stream is true");
    expect(
        &server,
        "GET",
        "/api/v2/incremental/users/cursor",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalUserExportCursor"),
    )
    .await;
    assert_eq!(
        exports.users(1332034771).all().await.unwrap()[0].id,
        Some(35436)
    );
    expect(
        &server,
        "GET",
        "/api/v2/incremental/users",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalUserExportTime"),
    )
    .await;
    exports.users_by_time(1332034771).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/incremental/organizations",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalOrganizationExport"),
    )
    .await;
    assert_eq!(
        exports.organizations(1332034771).all().await.unwrap()[0].id,
        4112492
    );
    expect(
        &server,
        "GET",
        "/api/v2/incremental/ticket_events",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalTicketEvents"),
    )
    .await;
    let events = exports.ticket_events(1332034771).all().await.unwrap();
    assert_eq!(events[0].ticket_id, Some(155));
    assert_eq!(events[0].other["metric"], "agent_work_time");
    expect(
        &server,
        "GET",
        "/api/v2/incremental/tickets/sample",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalSampleExport"),
    )
    .await;
    exports.sample_tickets(1332034771).all().await.unwrap();
    // This example says `meta.has_more: true` and gives a cursor: a second page is read.
    expect(
        &server,
        "GET",
        "/api/v2/incremental/custom_objects/apartment/cursor",
        &[("start_time", "1332034771")],
        None,
        200,
        example("IncrementalCustomObjectRecordExportCursor"),
    )
    .await;
    expect(
        &server,
        "GET",
        "/api/v2/incremental/custom_objects/apartment/cursor",
        &[("cursor", "MTU3NjYxMzUzOS4wfHw0Njd8")],
        None,
        200,
        json!({"custom_object_records": [], "after_cursor": null, "meta": {"has_more": false}}),
    )
    .await;
    let records = exports
        .custom_object_records("apartment", 1332034771)
        .all()
        .await
        .unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(
        records[0].custom_object_fields.as_ref().unwrap()["unit_number"],
        "12A"
    );
}

/// A cursor export resumes with `cursor` (not `start_time`) and ends at `end_of_stream`;
/// a time export moves `start_time` to each page's `end_time` and stops if it would not
/// move forward.
#[tokio::test]
async fn incremental_exports_walk_their_pages() {
    let (server, client) = zendesk().await;
    let ticket = |id: i64| json!({"id": id, "status": "open"});
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("start_time", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tickets": [ticket(1)], "after_cursor": "c1", "end_of_stream": false})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("cursor", "c1"))
        .and(query_param_is_missing("start_time"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tickets": [ticket(2)], "after_cursor": "c2", "end_of_stream": true})))
        .expect(1)
        .mount(&server)
        .await;
    let ids: Vec<i64> = client
        .incremental()
        .tickets(100)
        .stream()
        .map_ok(|ticket| ticket.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [1, 2]);

    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users"))
        .and(query_param("start_time", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"id": 1}], "end_time": 200, "end_of_stream": false})))
        .expect(1)
        .mount(&server)
        .await;
    // Zendesk answering the same end_time again would loop forever: the walk stops.
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users"))
        .and(query_param("start_time", "200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"id": 2}], "end_time": 200, "end_of_stream": false})))
        .expect(1)
        .mount(&server)
        .await;
    let users = client.incremental().users_by_time(100).all().await.unwrap();
    assert_eq!(users.len(), 2);
}

/// A ticket's comments and audits stream over their cursor pages like every other list.
#[tokio::test]
async fn comments_and_audits_stream_over_their_pages() {
    let (server, client) = zendesk().await;
    for (at, key) in [
        ("/api/v2/tickets/7/comments", "comments"),
        ("/api/v2/tickets/7/audits", "audits"),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .and(query_param("sort", "-created_at"))
            .and(query_param_is_missing("page[after]"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                key: [{"id": 3, "ticket_id": 7}, {"id": 2, "ticket_id": 7}],
                "meta": {"has_more": true, "after_cursor": "p2"}})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(at))
            .and(query_param("page[after]", "p2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                key: [{"id": 1, "ticket_id": 7}], "meta": {"has_more": false}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let comments: Vec<i64> = client
        .tickets()
        .comments(7)
        .newest_first()
        .stream()
        .map_ok(|comment| comment.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(comments, [3, 2, 1]);
    let audits: Vec<Option<i64>> = client
        .tickets()
        .audits(7)
        .newest_first()
        .stream()
        .map_ok(|audit| audit.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(audits, [Some(3), Some(2), Some(1)]);
}

/// Zendesk answers at most 1,000 search results and refuses the page past them (422): a
/// walk over a larger result set stops at the 1,000th instead of failing.
#[tokio::test]
async fn a_search_walk_stops_at_the_thousandth_result() {
    let (server, client) = zendesk().await;
    let results: Vec<serde_json::Value> = (0..100)
        .map(|id| json!({"id": id, "result_type": "ticket"}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("page", "11"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "error": "invalid", "description": "Requested response size was greater than Search Response Limits"})))
        .with_priority(1)
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": results, "count": 4200,
            "next_page": "https://acme.zendesk.com/api/v2/search.json?page=next"})))
        .expect(10)
        .mount(&server)
        .await;
    let found = client.search().query("type:ticket").all().await.unwrap();
    assert_eq!(found.len(), 1000);
}
