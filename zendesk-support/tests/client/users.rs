//! Users beyond show, show many, create-or-update and `me`: listings, counts, search,
//! autocomplete, bulk jobs, merges, memberships, sessions, settings and deleted users.

use serde_json::{Map, json};
use zendesk_support::{Error, NewUser, Role, UserUpdate};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn user_listings_search_and_what_belongs_to_a_user() {
    let (server, client) = zendesk().await;
    let users = client.users();
    expect(
        &server,
        "GET",
        "/api/v2/users",
        &[("role", "agent")],
        None,
        200,
        example("ListUsers"),
    )
    .await;
    let agents = users.list_by_role(&Role::Agent).all().await.unwrap();
    assert!(agents[0].id.is_some());
    expect(
        &server,
        "GET",
        "/api/v2/organizations/9/users",
        &[],
        None,
        200,
        example("ListOrganizationUsers"),
    )
    .await;
    users.list_for_organization(9).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/count",
        &[],
        None,
        200,
        example("CountUsers"),
    )
    .await;
    users.count().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/organizations/9/users/count",
        &[],
        None,
        200,
        example("CountOrganizationUsers"),
    )
    .await;
    users.count_for_organization(9).await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/search",
        &[("query", "jane@example.com")],
        None,
        200,
        example("SearchUsers"),
    )
    .await;
    users.search("jane@example.com").all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/autocomplete",
        &[("name", "gil")],
        None,
        200,
        example("AutocompleteUsers"),
    )
    .await;
    users.autocomplete("gil").await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/users/autocomplete",
        &[],
        Some(json!({"name": "gil"})),
        200,
        example("AutocompleteUsersPost"),
    )
    .await;
    users.autocomplete_in_body("gil").await.unwrap();
    assert!(matches!(
        users.autocomplete("g").await,
        Err(Error::Config(_))
    ));

    expect(
        &server,
        "GET",
        "/api/v2/users/35436/related",
        &[],
        None,
        200,
        example("ShowUserRelated"),
    )
    .await;
    let related = users.related(35436).await.unwrap();
    assert_eq!(
        (related.assigned_tickets, related.requested_tickets),
        (5, 10)
    );
    expect(
        &server,
        "GET",
        "/api/v2/users/12345/sessions",
        &[],
        None,
        200,
        example("ListUserSessions"),
    )
    .await;
    assert_eq!(users.sessions(12345).all().await.unwrap()[0].id, 3432);
    expect(
        &server,
        "GET",
        "/api/v2/users/482/organization_subscriptions",
        &[],
        None,
        200,
        example("ListUserOrganizationSubscriptions"),
    )
    .await;
    users.organization_subscriptions(482).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/29/brand_agents",
        &[],
        None,
        200,
        example("ListUserBrandAgents"),
    )
    .await;
    assert_eq!(users.brand_agents(29).all().await.unwrap().len(), 2);
    expect(
        &server,
        "GET",
        "/api/v2/users/29/brand_agents/4",
        &[],
        None,
        200,
        example("ShowUserBrandAgentById"),
    )
    .await;
    users.brand_agent(29, "4").await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/1/compliance_deletion_statuses",
        &[],
        None,
        200,
        example("ShowUserComplianceDeletionStatuses"),
    )
    .await;
    assert!(users.compliance_deletion_statuses(1).await.unwrap().len() >= 2);
    expect(
        &server,
        "GET",
        "/api/v2/users/1/entitlements/full",
        &[],
        None,
        200,
        example("GetUserEntitlementsFull"),
    )
    .await;
    assert_eq!(users.entitlements(1).await.unwrap()["talk"]["name"], "lead");
    expect(
        &server,
        "GET",
        "/api/v2/users/me/settings",
        &[],
        None,
        200,
        example("ShowCurrentUserSettings"),
    )
    .await;
    assert!(users.my_settings().await.unwrap().contains_key("lotus"));
    let mut settings = Map::new();
    settings.insert("lotus".into(), json!({"keyboard_shortcuts_enabled": true}));
    expect(
        &server,
        "PUT",
        "/api/v2/users/me/settings",
        &[],
        Some(json!({"settings": {"lotus": {"keyboard_shortcuts_enabled": true}}})),
        200,
        example("UpdateCurrentUserSettings"),
    )
    .await;
    users.update_my_settings(&settings).await.unwrap();

    expect(
        &server,
        "GET",
        "/api/v2/deleted_users",
        &[],
        None,
        200,
        example("ListDeletedUsers"),
    )
    .await;
    assert_eq!(
        users.list_deleted().all().await.unwrap()[0].role,
        Some(Role::EndUser)
    );
    expect(
        &server,
        "GET",
        "/api/v2/deleted_users/count",
        &[],
        None,
        200,
        example("CountDeletedUsers"),
    )
    .await;
    users.count_deleted().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/deleted_users/189304711533",
        &[],
        None,
        200,
        example("ShowDeletedUser"),
    )
    .await;
    users.get_deleted(189304711533).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/deleted_users/189304711533",
        &[],
        None,
        200,
        example("PermanentlyDeleteUser"),
    )
    .await;
    users.delete_permanently(189304711533).await.unwrap();
}

#[tokio::test]
async fn users_written_one_at_a_time_and_in_bulk() {
    let (server, client) = zendesk().await;
    let users = client.users();
    expect(&server, "POST", "/api/v2/users", &[], Some(json!({"user": {"name": "Roger Wilco", "email": "roge@example.org", "phone": "+15551234567", "verified": true}})), 201, example("CreateUser")).await;
    users
        .create(
            &NewUser::new("Roger Wilco", "roge@example.org")
                .verified(true)
                .fields(UserUpdate::default().phone("+15551234567")),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/users/35436",
        &[],
        Some(json!({"user": {"suspended": true, "user_fields": {"plan": "gold"}}})),
        200,
        example("UpdateUser"),
    )
    .await;
    users
        .update(
            35436,
            &UserUpdate::default().suspended(true).field("plan", "gold"),
        )
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/users/35436",
        &[],
        None,
        200,
        example("DeleteUser"),
    )
    .await;
    users.delete(35436).await.unwrap();
    expect(&server, "POST", "/api/v2/users/create_many", &[], Some(json!({"users": [{"name": "A", "email": "a@x.test"}, {"name": "B", "email": "b@x.test"}]})), 200, example("CreateManyUsers")).await;
    users
        .create_many(&[NewUser::new("A", "a@x.test"), NewUser::new("B", "b@x.test")])
        .await
        .unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/users/create_or_update_many",
        &[],
        Some(json!({"users": [{"name": "A", "email": "a@x.test"}]})),
        200,
        example("CreateOrUpdateManyUsers"),
    )
    .await;
    users
        .create_or_update_many(&[NewUser::new("A", "a@x.test")])
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/users/update_many",
        &[("ids", "1,2")],
        Some(json!({"user": {"organization_id": 9}})),
        200,
        example("UpdateManyUsers"),
    )
    .await;
    users
        .update_many(&[1, 2], &UserUpdate::default().organization_id(9))
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/users/update_many",
        &[],
        Some(json!({"users": [{"id": 1, "name": "One"}]})),
        200,
        example("UpdateManyUsers"),
    )
    .await;
    users
        .update_each(&[(1, UserUpdate::default().name("One"))])
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/users/destroy_many",
        &[("ids", "1,2")],
        None,
        200,
        example("DestroyManyUsers"),
    )
    .await;
    users.destroy_many(&[1, 2]).await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/users/logout_many",
        &[("ids", "1,2")],
        None,
        202,
        example("LogoutManyUsers"),
    )
    .await;
    users.logout_many(&[1, 2]).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/users/2/merge",
        &[],
        Some(json!({"user": {"id": 35436}})),
        200,
        example("MergeEndUsers"),
    )
    .await;
    assert_eq!(users.merge(2, 35436).await.unwrap().id, Some(35436));
    expect(
        &server,
        "POST",
        "/api/v2/users/request_create",
        &[],
        Some(json!({"user": {"name": "New Person", "email": "new@x.test"}})),
        200,
        example("RequestUserCreate"),
    )
    .await;
    users
        .request_create(&NewUser::new("New Person", "new@x.test"))
        .await
        .unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/users/72/organization_memberships",
        &[],
        Some(json!({"organization_membership": {"user_id": 72, "organization_id": 88}})),
        201,
        example("CreateUserOrganizationMembership"),
    )
    .await;
    let membership = users.add_to_organization(72, 88).await.unwrap();
    assert_eq!(membership.id, 461);
    expect(
        &server,
        "DELETE",
        "/api/v2/users/72/organization_memberships/461",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    users.remove_from_organization(72, 461).await.unwrap();
    assert!(matches!(
        users.create(&NewUser::new(" ", "x@x.test")).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        users.destroy_many(&[]).await,
        Err(Error::Config(_))
    ));
}
