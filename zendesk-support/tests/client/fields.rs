//! Ticket fields, custom statuses, tags and satisfaction ratings, one check per operation.

use serde_json::json;
use zendesk_support::{
    CustomStatusUpdate, Error, FieldOption, NewSatisfactionRating, Tagged, TicketFieldUpdate,
    TicketStatus,
};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn ticket_fields_and_their_options() {
    let (server, client) = zendesk().await;
    let fields = client.ticket_fields();
    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields",
        &[("page[size]", "100")],
        None,
        200,
        example("ListTicketFields"),
    )
    .await;
    let all = fields.list().all().await.unwrap();
    assert_eq!(all[0].kind.as_deref(), Some("subject"));
    assert_eq!(all[0].title.as_deref(), Some("Subject"));
    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields/count",
        &[],
        None,
        200,
        example("CountTicketFields"),
    )
    .await;
    assert_eq!(fields.count().await.unwrap().value, 102);
    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields/show_many",
        &[("ids", "34,89")],
        None,
        200,
        example("ShowManyTicketFields"),
    )
    .await;
    assert_eq!(fields.get_many(&[34, 89]).await.unwrap()[0].id, 34);
    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields/89",
        &[],
        None,
        200,
        example("ShowTicketfield"),
    )
    .await;
    let age = fields.get(89).await.unwrap();
    assert_eq!(
        (age.kind.as_deref(), age.required),
        (Some("text"), Some(true))
    );
    expect(&server, "POST", "/api/v2/ticket_fields", &[], Some(json!({"ticket_field": {"type": "tagger", "title": "Plan", "custom_field_options": [{"name": "Gold", "value": "plan_gold"}]}})), 201, example("CreateTicketField")).await;
    fields
        .create(
            &TicketFieldUpdate::new("tagger", "Plan").option(FieldOption::new("Gold", "plan_gold")),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/ticket_fields/89",
        &[],
        Some(json!({"ticket_field": {"title": "Your age", "required": false}})),
        200,
        example("UpdateTicketField"),
    )
    .await;
    fields
        .update(
            89,
            &TicketFieldUpdate::default()
                .title("Your age")
                .required(false),
        )
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/ticket_fields/89",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    fields.delete(89).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/ticket_fields/reorder",
        &[],
        Some(json!({"ticket_field_ids": [89, 34]})),
        200,
        json!({}),
    )
    .await;
    fields.reorder(&[89, 34]).await.unwrap();

    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields/1/options",
        &[],
        None,
        200,
        example("ListTicketFieldOptions"),
    )
    .await;
    let options = fields.options(1).all().await.unwrap();
    assert_eq!(options[1].value.as_deref(), Some("banana"));
    expect(
        &server,
        "GET",
        "/api/v2/ticket_fields/1/options/10001",
        &[],
        None,
        200,
        example("ShowTicketFieldOption"),
    )
    .await;
    assert_eq!(
        fields.get_option(1, 10001).await.unwrap().name.as_deref(),
        Some("Bananas")
    );
    expect(
        &server,
        "POST",
        "/api/v2/ticket_fields/1/options",
        &[],
        Some(json!({"custom_field_option": {"name": "Grapes", "value": "grape"}})),
        201,
        example("CreateOrUpdateTicketFieldOption"),
    )
    .await;
    let grapes = fields
        .create_or_update_option(1, &FieldOption::new("Grapes", "grape"))
        .await
        .unwrap();
    assert_eq!(grapes.id, Some(10002));
    expect(
        &server,
        "DELETE",
        "/api/v2/ticket_fields/1/options/10002",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    fields.delete_option(1, 10002).await.unwrap();
    assert!(matches!(
        fields.create(&TicketFieldUpdate::default()).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn custom_statuses() {
    let (server, client) = zendesk().await;
    let statuses = client.custom_statuses();
    expect(
        &server,
        "GET",
        "/api/v2/custom_statuses",
        &[("status_categories", "open,pending"), ("active", "true")],
        None,
        200,
        example("ListCustomStatuses"),
    )
    .await;
    let open = statuses
        .list_filtered(&[TicketStatus::Open, TicketStatus::Pending], Some(true))
        .all()
        .await
        .unwrap();
    assert_eq!(open[0].status_category, Some(TicketStatus::Open));
    assert_eq!(open[0].agent_label.as_deref(), Some("Responding quickly"));
    expect(
        &server,
        "GET",
        "/api/v2/custom_statuses/35436",
        &[],
        None,
        200,
        example("ShowCustomStatus"),
    )
    .await;
    statuses.get(35436).await.unwrap();
    expect(&server, "POST", "/api/v2/custom_statuses", &[], Some(json!({"custom_status": {"status_category": "pending", "agent_label": "Waiting on carrier", "end_user_label": "In transit"}})), 201, example("CreateCustomStatus")).await;
    statuses
        .create(
            &CustomStatusUpdate::new(TicketStatus::Pending, "Waiting on carrier")
                .end_user_label("In transit"),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/custom_statuses/35436",
        &[],
        Some(json!({"custom_status": {"active": false}})),
        200,
        example("UpdateCustomStatus"),
    )
    .await;
    statuses
        .update(35436, &CustomStatusUpdate::default().active(false))
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/custom_statuses/35436",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    statuses.delete(35436).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/custom_status/default",
        &[],
        Some(json!({"ids": "1234567,1234577"})),
        200,
        example("BulkUpdateDefaultCustomStatus"),
    )
    .await;
    statuses.set_defaults(&[1234567, 1234577]).await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/custom_statuses/7485541848574/ticket_form_statuses",
        &[],
        Some(json!({"ticket_form_status": [{"ticket_form_id": 7485506877054_i64}]})),
        200,
        example("CreateTicketFormStatusesForCustomStatus"),
    )
    .await;
    let forms = statuses
        .add_to_forms(7485541848574, &[7485506877054])
        .await
        .unwrap();
    assert_eq!(forms[0].ticket_form_id, Some(7485506877054));
    assert!(matches!(
        statuses.create(&CustomStatusUpdate::default()).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn tags_of_the_account_and_of_records() {
    let (server, client) = zendesk().await;
    let tags = client.tags();
    expect(
        &server,
        "GET",
        "/api/v2/tags",
        &[],
        None,
        200,
        example("ListTags"),
    )
    .await;
    let top = tags.list().all().await.unwrap();
    assert_eq!((top[0].name.as_str(), top[0].count), ("Triage", Some(10)));
    expect(
        &server,
        "GET",
        "/api/v2/tags/count",
        &[],
        None,
        200,
        example("CountTags"),
    )
    .await;
    tags.count().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/autocomplete/tags",
        &[("name", "att")],
        None,
        200,
        example("AutocompleteTags"),
    )
    .await;
    assert_eq!(
        tags.autocomplete("att").await.unwrap(),
        ["attention", "attack"]
    );
    expect(
        &server,
        "POST",
        "/api/v2/autocomplete/tags",
        &[],
        Some(json!({"name": "att"})),
        200,
        example("AutocompleteTagsPost"),
    )
    .await;
    tags.autocomplete_in_body("att").await.unwrap();
    assert!(matches!(
        tags.autocomplete("a").await,
        Err(Error::Config(_))
    ));

    for (target, at, list, set, add, remove) in [
        (
            Tagged::Ticket(4021),
            "/api/v2/tickets/4021/tags",
            "ListResourceTags",
            "SetTagsTicket",
            "PutTagsTicket",
            "DeleteTagsTicket",
        ),
        (
            Tagged::User(35436),
            "/api/v2/users/35436/tags",
            "ListUserTags",
            "SetUserTags",
            "PutUserTags",
            "DeleteUserTags",
        ),
        (
            Tagged::Organization(7),
            "/api/v2/organizations/7/tags",
            "ListOrganizationTags",
            "SetOrganizationTags",
            "AddOrganizationTags",
            "RemoveOrganizationTags",
        ),
    ] {
        expect(&server, "GET", at, &[], None, 200, example(list)).await;
        assert!(!tags.of(target).await.unwrap().is_empty());
        expect(
            &server,
            "POST",
            at,
            &[],
            Some(json!({"tags": ["urgent"]})),
            200,
            example(set),
        )
        .await;
        tags.set(target, &["urgent"]).await.unwrap();
        expect(
            &server,
            "PUT",
            at,
            &[],
            Some(json!({"tags": ["printer"]})),
            200,
            example(add),
        )
        .await;
        tags.add(target, &["printer"]).await.unwrap();
        expect(
            &server,
            "DELETE",
            at,
            &[],
            Some(json!({"tags": ["fire"]})),
            200,
            example(remove),
        )
        .await;
        tags.remove(target, &["fire"]).await.unwrap();
    }
    // Removing the last tags may answer 204 without a body: no tags left.
    expect(
        &server,
        "DELETE",
        "/api/v2/tickets/5/tags",
        &[],
        Some(json!({"tags": ["last"]})),
        204,
        json!(null),
    )
    .await;
    assert!(
        tags.remove(Tagged::Ticket(5), &["last"])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn satisfaction_ratings() {
    let (server, client) = zendesk().await;
    let ratings = client.satisfaction_ratings();
    expect(
        &server,
        "GET",
        "/api/v2/satisfaction_ratings",
        &[("score", "good")],
        None,
        200,
        example("ListSatisfactionRatings"),
    )
    .await;
    let good = ratings.list_scored("good").all().await.unwrap();
    assert_eq!(good[0].comment.as_deref(), Some("Awesome support!"));
    expect(
        &server,
        "GET",
        "/api/v2/satisfaction_ratings/count",
        &[],
        None,
        200,
        example("CountSatisfactionRatings"),
    )
    .await;
    ratings.count().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/satisfaction_ratings/35436",
        &[],
        None,
        200,
        example("ShowSatisfactionRating"),
    )
    .await;
    assert_eq!(ratings.get(35436).await.unwrap().ticket_id, Some(208));
    // Zendesk documents these answers as a list of one rating.
    expect(
        &server,
        "POST",
        "/api/v2/tickets/208/satisfaction_rating",
        &[],
        Some(json!({"satisfaction_rating": {"score": "good", "comment": "Awesome support!"}})),
        200,
        example("CreateTicketSatisfactionRating"),
    )
    .await;
    let rated = ratings
        .create(
            208,
            &NewSatisfactionRating::good().comment("Awesome support!"),
        )
        .await
        .unwrap();
    assert_eq!(rated.score.as_deref(), Some("good"));
}
