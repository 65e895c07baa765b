//! Tickets beyond show, create and update: listings, counts, the people on a ticket, bulk
//! jobs, merges, spam, deleted tickets; comments, audits and attachments beyond listing.

use serde_json::json;
use wiremock::matchers::{method, path, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};
use zendesk_support::{Error, NewComment, NewTicket, TicketIds, TicketStatus, TicketUpdate};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn ticket_listings_and_counts() {
    let (server, client) = zendesk().await;
    let tickets = client.tickets();
    for (at, operation) in [
        ("/api/v2/tickets", "ListTickets"),
        ("/api/v2/tickets/recent", "ListRecentTickets"),
        ("/api/v2/organizations/9/tickets", "ListOrganizationTickets"),
        (
            "/api/v2/users/7/tickets/requested",
            "ListUserRequestedTickets",
        ),
        ("/api/v2/users/7/tickets/ccd", "ListUserCCDTickets"),
        (
            "/api/v2/users/7/tickets/assigned",
            "ListUserAssignedTickets",
        ),
        (
            "/api/v2/users/7/tickets/followed",
            "ListUserFollowedTickets",
        ),
        ("/api/v2/problems", "ListTicketProblems"),
        ("/api/v2/tickets/33/incidents", "ListTicketIncidents"),
    ] {
        expect(
            &server,
            "GET",
            at,
            &[("page[size]", "100")],
            None,
            200,
            example(operation),
        )
        .await;
    }
    let all = tickets.list().all().await.unwrap();
    assert_eq!(all[0].brand_id, Some(123));
    assert_eq!(all[0].collaborator_ids, [35334, 234]);
    assert_eq!(all[0].custom_fields[0]["value"], "745");
    tickets.recent().all().await.unwrap();
    tickets.list_for_organization(9).all().await.unwrap();
    tickets.list_requested_by(7).all().await.unwrap();
    tickets.list_ccd(7).all().await.unwrap();
    tickets.list_assigned_to(7).all().await.unwrap();
    tickets.list_followed_by(7).all().await.unwrap();
    let problems = tickets.problems().all().await.unwrap();
    assert_eq!(problems[1].status, Some(TicketStatus::Pending));
    tickets.incidents(33).all().await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/problems/autocomplete",
        &[],
        Some(json!({"text": "fire"})),
        200,
        example("AutocompleteProblems"),
    )
    .await;
    assert_eq!(
        tickets.autocomplete_problems("fire").await.unwrap().len(),
        2
    );

    for (at, operation) in [
        ("/api/v2/tickets/count", "CountTickets"),
        (
            "/api/v2/organizations/9/tickets/count",
            "CountOrganizationTickets",
        ),
        (
            "/api/v2/users/7/tickets/assigned/count",
            "CountUserAssignedTickets",
        ),
        ("/api/v2/users/7/tickets/ccd/count", "CountUserCCDTickets"),
        ("/api/v2/tickets/33/comments/count", "CountTicketComments"),
        ("/api/v2/tickets/33/audits/count", "CountAuditsForTicket"),
    ] {
        expect(&server, "GET", at, &[], None, 200, example(operation)).await;
    }
    assert_eq!(tickets.count().await.unwrap().value, 102);
    tickets.count_for_organization(9).await.unwrap();
    tickets.count_assigned_to(7).await.unwrap();
    tickets.count_ccd(7).await.unwrap();
    assert_eq!(tickets.count_comments(33).await.unwrap().value, 12);
    tickets.count_audits(33).await.unwrap();
}

#[tokio::test]
async fn the_people_and_records_around_a_ticket() {
    let (server, client) = zendesk().await;
    let tickets = client.tickets();
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/collaborators",
        &[],
        None,
        200,
        example("ListTicketCollaborators"),
    )
    .await;
    assert_eq!(
        tickets.collaborators(33).all().await.unwrap()[0].id,
        Some(223443)
    );
    // Zendesk's example sends these user ids as strings: they read as the same numbers.
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/email_ccs",
        &[],
        None,
        200,
        example("ListTicketEmailCCs"),
    )
    .await;
    let ccs = tickets.email_ccs(33).all().await.unwrap();
    assert_eq!(ccs[2].id, Some(6748530));
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/followers",
        &[],
        None,
        200,
        example("ListTicketFollowers"),
    )
    .await;
    tickets.followers(33).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/metrics",
        &[],
        None,
        200,
        example("ShowTicketMetricsByTicket"),
    )
    .await;
    let metrics = tickets.metrics(33).await.unwrap();
    assert_eq!(metrics.id, 33);
    assert!(metrics.other.contains_key("agent_wait_time_in_minutes"));
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/related",
        &[],
        None,
        200,
        example("TicketRelatedInformation"),
    )
    .await;
    assert_eq!(tickets.related(33).await.unwrap().incidents, Some(7));
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/skips",
        &[],
        None,
        200,
        example("ListTicketSkipsByTicket"),
    )
    .await;
    let skips = tickets.skips(33).all().await.unwrap();
    assert_eq!(skips[0].reason.as_deref(), Some("I have no idea."));
    expect(
        &server,
        "GET",
        "/api/v2/tickets/messaging/conversations/c616a583e4c240a871818541/ticket",
        &[],
        None,
        200,
        example("ShowTicketByMessagingConversationId"),
    )
    .await;
    tickets
        .by_messaging_conversation("c616a583e4c240a871818541")
        .await
        .unwrap();
}

#[tokio::test]
async fn tickets_in_bulk_merges_spam_and_the_deleted() {
    let (server, client) = zendesk().await;
    let tickets = client.tickets();
    expect(
        &server,
        "GET",
        "/api/v2/tickets/show_many",
        &[("ids", "1,2")],
        None,
        200,
        example("TicketsShowMany"),
    )
    .await;
    assert!(
        !tickets
            .get_many(TicketIds(&[1, 2]))
            .await
            .unwrap()
            .is_empty()
    );
    expect(
        &server,
        "POST",
        "/api/v2/tickets/create_many",
        &[],
        Some(json!({"tickets": [{"comment": {"body": "a", "public": true}, "subject": "A"}]})),
        200,
        example("TicketsCreateMany"),
    )
    .await;
    tickets
        .create_many(&[NewTicket::new(NewComment::text("a")).subject("A")])
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/update_many",
        &[("ids", "1,2")],
        Some(json!({"ticket": {"status": "solved"}})),
        200,
        example("TicketsUpdateMany"),
    )
    .await;
    tickets
        .update_many(
            TicketIds(&[1, 2]),
            &TicketUpdate::status(TicketStatus::Solved),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/update_many",
        &[],
        Some(json!({"tickets": [{"id": 1, "status": "open"}]})),
        200,
        example("TicketsUpdateMany"),
    )
    .await;
    tickets
        .update_each(&[(1, TicketUpdate::status(TicketStatus::Open))])
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/tickets/5",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    tickets.delete(5).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/tickets/destroy_many",
        &[("ids", "5,6")],
        None,
        200,
        example("BulkDeleteTickets"),
    )
    .await;
    tickets.destroy_many(TicketIds(&[5, 6])).await.unwrap();
    // A write without a body says `Content-Length: 0` (proxies refuse it otherwise).
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/6/mark_as_spam"))
        .and(wiremock::matchers::header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    tickets.mark_as_spam(6).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/5/mark_as_spam",
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    tickets.mark_as_spam(5).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/mark_many_as_spam",
        &[("ids", "5,6")],
        None,
        200,
        example("MarkManyTicketsAsSpam"),
    )
    .await;
    tickets.mark_many_as_spam(TicketIds(&[5, 6])).await.unwrap();
    expect(&server, "POST", "/api/v2/tickets/9/merge", &[], Some(json!({"ids": [5, 6], "target_comment": "Merged in 5 and 6", "source_comment": "Merged into 9", "target_comment_is_public": false, "source_comment_is_public": false})), 200, example("MergeTicketsIntoTargetTicket")).await;
    let merge = tickets
        .merge(
            9,
            TicketIds(&[5, 6]),
            "Merged in 5 and 6",
            "Merged into 9",
            false,
        )
        .await
        .unwrap();
    assert_eq!(merge.results.len(), 2);

    expect(
        &server,
        "GET",
        "/api/v2/deleted_tickets",
        &[],
        None,
        200,
        example("ListDeletedTickets"),
    )
    .await;
    let deleted = tickets.list_deleted().all().await.unwrap();
    assert_eq!(deleted[0].previous_state.as_deref(), Some("open"));
    expect(
        &server,
        "PUT",
        "/api/v2/deleted_tickets/581/restore",
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    tickets.restore(581).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/deleted_tickets/restore_many",
        &[("ids", "581,582")],
        None,
        200,
        json!(null),
    )
    .await;
    tickets.restore_many(TicketIds(&[581, 582])).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/deleted_tickets/581",
        &[],
        None,
        200,
        example("DeleteTicketPermanently"),
    )
    .await;
    let job = tickets.delete_permanently(581).await.unwrap();
    assert!(!job.is_finished());
    expect(
        &server,
        "DELETE",
        "/api/v2/deleted_tickets/destroy_many",
        &[("ids", "581")],
        None,
        200,
        example("BulkPermanentlyDeleteTickets"),
    )
    .await;
    tickets
        .delete_many_permanently(TicketIds(&[581]))
        .await
        .unwrap();
    assert!(matches!(
        tickets.destroy_many(TicketIds(&[])).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn comments_audits_and_attachments() {
    let (server, client) = zendesk().await;
    let tickets = client.tickets();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/33/comments/35436/make_private",
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    tickets.make_comment_private(33, 35436).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/33/comments/35436/redact",
        &[],
        Some(json!({"text": "123-45-6789"})),
        200,
        example("RedactStringInComment"),
    )
    .await;
    let redacted = tickets
        .redact_comment_text(33, 35436, "123-45-6789")
        .await
        .unwrap();
    assert!(redacted.plain_body.unwrap().contains('\u{2587}'));
    expect(&server, "PUT", "/api/v2/comment_redactions/100", &[], Some(json!({"ticket_id": 33, "html_body": "<div>My ID number is <redact>1234</redact>!</div>"})), 200, example("RedactTicketCommentInAgentWorkspace")).await;
    tickets
        .redact_comment(
            33,
            100,
            "<div>My ID number is <redact>1234</redact>!</div>",
            &[],
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/chat_redactions/33",
        &[],
        Some(json!({"chat_id": "2109.10502823.Sjuj2YrBpXwei", "chat_index": 0, "text": "1234"})),
        200,
        example("RedactChatComment"),
    )
    .await;
    let event = tickets
        .redact_chat_text(33, "2109.10502823.Sjuj2YrBpXwei", 0, "1234")
        .await
        .unwrap();
    assert_eq!(event.kind.as_deref(), Some("ChatStartedEvent"));
    expect(
        &server,
        "PUT",
        "/api/v2/chat_file_redactions/33",
        &[],
        Some(json!({"chat_id": "2109.10502823.Sjuj2YrBpXwei", "chat_indexes": [0, 1]})),
        200,
        example("RedactChatCommentAttachment"),
    )
    .await;
    tickets
        .redact_chat_files(33, "2109.10502823.Sjuj2YrBpXwei", &[0, 1])
        .await
        .unwrap();

    // The audits export says neither `end_of_stream` nor `meta`: it ends on an empty page.
    Mock::given(method("GET"))
        .and(path("/api/v2/ticket_audits"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("ListTicketAudits")))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "GET",
        "/api/v2/ticket_audits",
        &[("cursor", "MTUwMTYwNzUyMi4wfHwxMzQ3NTMxNjcxfA==")],
        None,
        200,
        json!({"audits": [], "after_cursor": null}),
    )
    .await;
    let audits = tickets.all_audits().all().await.unwrap();
    assert_eq!(audits[0].author_id, Some(35436));
    expect(
        &server,
        "GET",
        "/api/v2/tickets/33/audits/2127301143",
        &[],
        None,
        200,
        example("ShowTicketAudit"),
    )
    .await;
    assert_eq!(tickets.audit(33, 2127301143).await.unwrap().events.len(), 3);
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/33/audits/2127301143/make_private",
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    tickets.make_audit_private(33, 2127301143).await.unwrap();

    let uploads = client.uploads();
    expect(
        &server,
        "GET",
        "/api/v2/attachments/498483",
        &[],
        None,
        200,
        example("ShowAttachment"),
    )
    .await;
    assert_eq!(
        uploads
            .attachment(498483)
            .await
            .unwrap()
            .file_name
            .as_deref(),
        Some("myfile.dat")
    );
    expect(
        &server,
        "PUT",
        "/api/v2/attachments/498483",
        &[],
        Some(json!({"attachment": {"malware_access_override": true}})),
        200,
        example("UpdateAttachment"),
    )
    .await;
    uploads.override_malware_block(498483, true).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/attachments/498483",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    uploads.delete_attachment(498483).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/33/comments/35436/attachments/498483/redact",
        &[],
        None,
        200,
        example("RedactCommentAttachment"),
    )
    .await;
    uploads.redact_attachment(33, 35436, 498483).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/uploads/6bk3gql82em5nmf",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    uploads.delete("6bk3gql82em5nmf").await.unwrap();
}
