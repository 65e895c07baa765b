//! Requests and user identities, one check per operation.

use serde_json::json;
use zendesk_support::{Error, NewComment, NewIdentity, NewRequest, RequestUpdate, TicketStatus};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn requests_as_the_requester_sees_them() {
    let (server, client) = zendesk().await;
    let requests = client.requests();
    for (at, operation) in [
        ("/api/v2/requests", "ListRequests"),
        ("/api/v2/requests/open", "ListOpenRequests"),
        ("/api/v2/requests/solved", "ListSolvedRequests"),
        ("/api/v2/requests/ccd", "ListCCDRequests"),
        ("/api/v2/users/7/requests", "ListUserRequests"),
        (
            "/api/v2/organizations/9/requests",
            "ListOrganizationRequests",
        ),
    ] {
        expect(&server, "GET", at, &[], None, 200, example(operation)).await;
    }
    let mine = requests.list().all().await.unwrap();
    assert_eq!(mine[0].status, Some(TicketStatus::Open));
    assert_eq!(mine[1].status, Some(TicketStatus::Closed));
    requests.list_open().all().await.unwrap();
    requests.list_solved().all().await.unwrap();
    requests.list_ccd().all().await.unwrap();
    requests.list_for_user(7).all().await.unwrap();
    requests.list_for_organization(9).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/requests/search",
        &[("query", "printer")],
        None,
        200,
        example("SearchRequests"),
    )
    .await;
    assert_eq!(requests.search("printer").all().await.unwrap().len(), 2);
    expect(
        &server,
        "GET",
        "/api/v2/requests/33",
        &[],
        None,
        200,
        example("ShowRequest"),
    )
    .await;
    assert_eq!(requests.get(33).await.unwrap().custom_status_id, Some(123));
    expect(&server, "POST", "/api/v2/requests", &[], Some(json!({"request": {"subject": "Help!", "comment": {"body": "My printer is on fire!", "public": true}, "requester": {"name": "Anonymous customer"}}})), 201, example("CreateRequest")).await;
    let created = requests
        .create(
            &NewRequest::new("Help!", NewComment::text("My printer is on fire!"))
                .anonymous("Anonymous customer", None),
        )
        .await
        .unwrap();
    assert_eq!(created.status, Some(TicketStatus::New));
    expect(
        &server,
        "PUT",
        "/api/v2/requests/33",
        &[],
        Some(json!({"request": {"comment": {"body": "Thanks!", "public": true}, "solved": true}})),
        200,
        example("UpdateRequest"),
    )
    .await;
    requests
        .update(
            33,
            &RequestUpdate::comment(NewComment::text("Thanks!")).solved(),
        )
        .await
        .unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/requests/33/comments",
        &[],
        None,
        200,
        example("ListComments"),
    )
    .await;
    assert_eq!(requests.comments(33).all().await.unwrap()[0].id, 43);
    expect(
        &server,
        "GET",
        "/api/v2/requests/33/comments/43",
        &[],
        None,
        200,
        example("ShowComment"),
    )
    .await;
    assert_eq!(
        requests.comment(33, 43).await.unwrap().body.as_deref(),
        Some("Thanks!")
    );
    assert!(matches!(
        requests
            .create(&NewRequest::new(" ", NewComment::text("x")))
            .await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn user_identities_as_agent_and_end_user() {
    let (server, client) = zendesk().await;
    let identities = client.user_identities();
    let at = "/api/v2/users/135/identities";
    expect(
        &server,
        "GET",
        at,
        &[("type", "email")],
        None,
        200,
        example("ListUserIdentities"),
    )
    .await;
    let emails = identities.list_of_type(135, "email").all().await.unwrap();
    assert_eq!(emails[0].value.as_deref(), Some("someone@example.com"));
    assert_eq!(emails[0].primary, Some(true));
    expect(
        &server,
        "POST",
        at,
        &[],
        Some(json!({"identity": {"type": "email", "value": "foo@bar.com", "verified": true}})),
        201,
        example("CreateUserIdentity"),
    )
    .await;
    identities
        .create(135, &NewIdentity::email("foo@bar.com").verified(true))
        .await
        .unwrap();
    expect(
        &server,
        "GET",
        &format!("{at}/77938"),
        &[],
        None,
        200,
        example("ShowUserIdentity"),
    )
    .await;
    assert_eq!(
        identities.get(135, 77938).await.unwrap().kind.as_deref(),
        Some("twitter")
    );
    expect(
        &server,
        "PUT",
        &format!("{at}/77938"),
        &[],
        Some(json!({"identity": {"verified": true}})),
        200,
        example("UpdateUserIdentity"),
    )
    .await;
    identities
        .update(135, 77938, None, Some(true))
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        &format!("{at}/77938"),
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    identities.delete(135, 77938).await.unwrap();
    expect(
        &server,
        "PUT",
        &format!("{at}/77136/make_primary"),
        &[],
        None,
        200,
        example("MakeUserIdentityPrimary"),
    )
    .await;
    assert!(identities.make_primary(135, 77136).await.unwrap().len() >= 2);
    expect(
        &server,
        "PUT",
        &format!("{at}/77938/request_verification"),
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    identities.request_verification(135, 77938).await.unwrap();
    expect(
        &server,
        "PUT",
        &format!("{at}/77938/verify"),
        &[],
        None,
        200,
        example("VerifyUserIdentity"),
    )
    .await;
    identities.verify(135, 77938).await.unwrap();

    let own = client.end_user_identities();
    let end = "/api/v2/end_users/135/identities";
    expect(
        &server,
        "GET",
        end,
        &[("type[]", "email")],
        None,
        200,
        example("ListEndUserIdentities"),
    )
    .await;
    own.list_of_type(135, "email").all().await.unwrap();
    expect(
        &server,
        "POST",
        end,
        &[],
        Some(json!({"identity": {"type": "email", "value": "me@home.test"}})),
        201,
        example("CreateEndUserIdentity"),
    )
    .await;
    own.create(135, &NewIdentity::email("me@home.test"))
        .await
        .unwrap();
    expect(
        &server,
        "GET",
        &format!("{end}/77938"),
        &[],
        None,
        200,
        example("ShowEndUserIdentity"),
    )
    .await;
    own.get(135, 77938).await.unwrap();
    expect(
        &server,
        "DELETE",
        &format!("{end}/77938"),
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    own.delete(135, 77938).await.unwrap();
    expect(
        &server,
        "PUT",
        &format!("{end}/77136/make_primary"),
        &[],
        None,
        200,
        example("MakeEndUserIdentityPrimary"),
    )
    .await;
    own.make_primary(135, 77136).await.unwrap();
    expect(
        &server,
        "PUT",
        &format!("{end}/77938/request_verification"),
        &[],
        None,
        200,
        json!(null),
    )
    .await;
    own.request_verification(135, 77938).await.unwrap();
    assert!(matches!(
        own.verify(135, 77938).await,
        Err(Error::Config(_))
    ));
}
