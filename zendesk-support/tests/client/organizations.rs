//! Organizations, groups, group memberships and job statuses, one check per operation.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};
use zendesk_support::{
    Error, GroupUpdate, JobState, NewOrganization, OrganizationIds, OrganizationUpdate,
};

use super::oas::{example, expect, zendesk};

#[tokio::test]
async fn organizations_read_write_and_bulk() {
    let (server, client) = zendesk().await;
    let orgs = "/api/v2/organizations";
    expect(
        &server,
        "GET",
        orgs,
        &[("page[size]", "100")],
        None,
        200,
        example("ListOrganizations"),
    )
    .await;
    let all = client.organizations().list().all().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].name.as_deref(), Some("Groablet Enterprises"));
    assert_eq!(
        all[0].organization_fields.as_ref().unwrap()["org_field_1"],
        "happy happy"
    );

    expect(
        &server,
        "GET",
        "/api/v2/organizations/count",
        &[],
        None,
        200,
        example("CountOrganizations"),
    )
    .await;
    let count = client.organizations().count().await.unwrap();
    assert_eq!(count.value, 102);
    assert!(count.refreshed_at.is_some());

    expect(
        &server,
        "GET",
        "/api/v2/organizations/35436",
        &[],
        None,
        200,
        example("ShowOrganization"),
    )
    .await;
    let org = client.organizations().get(35436).await.unwrap();
    assert_eq!(org.id, 4112492);
    assert!(!org.domain_names.is_empty());

    expect(
        &server,
        "GET",
        "/api/v2/organizations/show_many",
        &[("external_ids", "ABC198,ABC199")],
        None,
        200,
        example("ShowManyOrganizations"),
    )
    .await;
    let many = client
        .organizations()
        .get_many(OrganizationIds::ExternalIds(&["ABC198", "ABC199"]))
        .await
        .unwrap();
    assert!(!many.is_empty());

    expect(&server, "POST", orgs, &[], Some(json!({"organization": {"name": "My Organization", "external_id": "crm-17", "domain_names": ["acme.test"]}})), 201, example("CreateOrganization")).await;
    let created = client
        .organizations()
        .create(
            &NewOrganization::new("My Organization")
                .external_id("crm-17")
                .domain("acme.test"),
        )
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("My Organization"));

    expect(
        &server,
        "POST",
        "/api/v2/organizations/create_or_update",
        &[],
        Some(json!({"organization": {"name": "My Organization", "external_id": "crm-17"}})),
        200,
        example("CreateOrUpdateOrganization"),
    )
    .await;
    client
        .organizations()
        .create_or_update(&NewOrganization::new("My Organization").external_id("crm-17"))
        .await
        .unwrap();

    expect(
        &server,
        "POST",
        "/api/v2/organizations/create_many",
        &[],
        Some(json!({"organizations": [{"name": "A"}, {"name": "B"}]})),
        200,
        example("CreateManyOrganizations"),
    )
    .await;
    let job = client
        .organizations()
        .create_many(&[NewOrganization::new("A"), NewOrganization::new("B")])
        .await
        .unwrap();
    assert_eq!(job.status, Some(JobState::Completed));
    assert_eq!(job.results[0].id, Some(380));

    expect(&server, "PUT", "/api/v2/organizations/35436", &[], Some(json!({"organization": {"notes": "Something interesting", "organization_fields": {"tier": "gold"}}})), 200, example("UpdateOrganization")).await;
    let update = OrganizationUpdate::default()
        .notes("Something interesting")
        .field("tier", "gold");
    client.organizations().update(35436, &update).await.unwrap();

    expect(
        &server,
        "PUT",
        "/api/v2/organizations/update_many",
        &[("ids", "1,2")],
        Some(json!({"organization": {"tags": ["vip"]}})),
        200,
        example("UpdateManyOrganizations"),
    )
    .await;
    client
        .organizations()
        .update_many(
            OrganizationIds::Ids(&[1, 2]),
            &OrganizationUpdate::default().tags(&["vip"]),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/organizations/update_many",
        &[],
        Some(json!({"organizations": [{"id": 1, "notes": "a"}, {"id": 2, "notes": "b"}]})),
        200,
        example("UpdateManyOrganizations"),
    )
    .await;
    client
        .organizations()
        .update_each(&[
            (1, OrganizationUpdate::default().notes("a")),
            (2, OrganizationUpdate::default().notes("b")),
        ])
        .await
        .unwrap();

    expect(
        &server,
        "DELETE",
        "/api/v2/organizations/35436",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    client.organizations().delete(35436).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/organizations/destroy_many",
        &[("ids", "1,2,3")],
        None,
        200,
        example("DeleteManyOrganizations"),
    )
    .await;
    client
        .organizations()
        .destroy_many(&[1, 2, 3])
        .await
        .unwrap();

    expect(
        &server,
        "GET",
        "/api/v2/organizations/search",
        &[("external_id", "ABC198")],
        None,
        200,
        example("SearchOrganizations"),
    )
    .await;
    let found = client
        .organizations()
        .search_by_external_id("ABC198")
        .await
        .unwrap();
    assert_eq!(found[0].external_id.as_deref(), Some("ABC198"));
    expect(
        &server,
        "GET",
        "/api/v2/organizations/autocomplete",
        &[("name", "imp")],
        None,
        200,
        example("AutocompleteOrganizations"),
    )
    .await;
    let suggested = client
        .organizations()
        .autocomplete("imp")
        .all()
        .await
        .unwrap();
    assert_eq!(suggested[0].name.as_deref(), Some("Important Customers"));

    expect(
        &server,
        "GET",
        "/api/v2/organizations/35436/related",
        &[],
        None,
        200,
        example("OrganizationRelated"),
    )
    .await;
    let related = client.organizations().related(35436).await.unwrap();
    assert_eq!((related.tickets_count, related.users_count), (12, 4));

    expect(
        &server,
        "POST",
        "/api/v2/organizations/123/merge",
        &[],
        Some(json!({"organization_merge": {"winner_id": 456}})),
        200,
        example("CreateOrganizationMerge"),
    )
    .await;
    let merge = client.organizations().merge(123, 456).await.unwrap();
    assert_eq!(merge.status.as_deref(), Some("new"));
    expect(
        &server,
        "GET",
        "/api/v2/organization_merges/01HPZM6206BF4G63783E5349AD",
        &[],
        None,
        200,
        example("ShowOrganizationMerge"),
    )
    .await;
    client.organizations().get_merge(&merge.id).await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/organizations/123/merges",
        &[],
        None,
        200,
        example("ListOrganizationMerges"),
    )
    .await;
    let merges = client.organizations().merges(123).all().await.unwrap();
    assert_eq!(merges[0].status.as_deref(), Some("complete"));

    expect(
        &server,
        "GET",
        "/api/v2/organizations/32/subscriptions",
        &[],
        None,
        200,
        example("ListOrganizationSubscriptionsByOrganization"),
    )
    .await;
    let subscriptions = client
        .organizations()
        .subscriptions(32)
        .all()
        .await
        .unwrap();
    assert_eq!(subscriptions[1].user_id, Some(49471));

    expect(
        &server,
        "GET",
        "/api/v2/users/7/organizations",
        &[],
        None,
        200,
        example("ListUserOrganizations"),
    )
    .await;
    assert!(
        !client
            .organizations()
            .list_for_user(7)
            .all()
            .await
            .unwrap()
            .is_empty()
    );
    expect(
        &server,
        "GET",
        "/api/v2/users/7/organizations/count",
        &[],
        None,
        200,
        example("CountUserOrganizations"),
    )
    .await;
    client.organizations().count_for_user(7).await.unwrap();

    let too_many: Vec<i64> = (0..101).collect();
    assert!(matches!(
        client.organizations().destroy_many(&too_many).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        client
            .organizations()
            .create(&NewOrganization::new(" "))
            .await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn groups_and_their_agents() {
    let (server, client) = zendesk().await;
    expect(
        &server,
        "GET",
        "/api/v2/groups",
        &[("exclude_deleted", "true")],
        None,
        200,
        example("ListGroups"),
    )
    .await;
    let groups = client.groups().list_active().all().await.unwrap();
    assert_eq!(groups[1].name.as_deref(), Some("MCs"));
    expect(
        &server,
        "GET",
        "/api/v2/groups/assignable",
        &[],
        None,
        200,
        example("ListAssignableGroups"),
    )
    .await;
    assert_eq!(client.groups().assignable().all().await.unwrap().len(), 2);
    expect(
        &server,
        "GET",
        "/api/v2/users/72/groups",
        &[],
        None,
        200,
        example("ListUserGroups"),
    )
    .await;
    client.groups().list_for_user(72).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/groups/122/users",
        &[],
        None,
        200,
        example("ListGroupUsers"),
    )
    .await;
    let agents = client.groups().users(122).all().await.unwrap();
    assert!(agents.iter().all(|agent| agent.id.is_some()));
    expect(
        &server,
        "GET",
        "/api/v2/groups/count",
        &[],
        None,
        200,
        example("CountGroups"),
    )
    .await;
    assert_eq!(client.groups().count().await.unwrap().value, 102);
    expect(
        &server,
        "GET",
        "/api/v2/users/72/groups/count",
        &[],
        None,
        200,
        example("CountUserGroups"),
    )
    .await;
    client.groups().count_for_user(72).await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/groups/122/users/count",
        &[],
        None,
        200,
        example("CountGroupUsers"),
    )
    .await;
    client.groups().count_users(122).await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/groups/122",
        &[],
        None,
        200,
        example("ShowGroupById"),
    )
    .await;
    assert_eq!(
        client.groups().get(122).await.unwrap().is_public,
        Some(true)
    );
    expect(
        &server,
        "POST",
        "/api/v2/groups",
        &[],
        Some(json!({"group": {"name": "My Group", "description": "Tier 2", "is_public": false}})),
        201,
        example("CreateGroup"),
    )
    .await;
    client
        .groups()
        .create(
            &GroupUpdate::named("My Group")
                .description("Tier 2")
                .public(false),
        )
        .await
        .unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/groups/122",
        &[],
        Some(json!({"group": {"name": "Interesting Group"}})),
        200,
        example("UpdateGroup"),
    )
    .await;
    client
        .groups()
        .update(122, &GroupUpdate::named("Interesting Group"))
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/groups/122",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    client.groups().delete(122).await.unwrap();
    assert!(matches!(
        client.groups().create(&GroupUpdate::default()).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn group_memberships() {
    let (server, client) = zendesk().await;
    let memberships = client.group_memberships();
    expect(
        &server,
        "GET",
        "/api/v2/group_memberships",
        &[],
        None,
        200,
        example("ListGroupMemberships"),
    )
    .await;
    assert_eq!(
        memberships.list().all().await.unwrap()[0].default,
        Some(true)
    );
    expect(
        &server,
        "GET",
        "/api/v2/groups/12/memberships",
        &[],
        None,
        200,
        example("ListGroupMembershipsByGroup"),
    )
    .await;
    memberships.list_for_group(12).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/users/29/group_memberships",
        &[],
        None,
        200,
        example("ListUserGroupMemberships"),
    )
    .await;
    memberships.list_for_user(29).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/group_memberships/assignable",
        &[],
        None,
        200,
        example("ListAssignableGroupMemberships"),
    )
    .await;
    memberships.assignable().all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/groups/12/memberships/assignable",
        &[],
        None,
        200,
        example("ListAssignableGroupMembershipsByGroup"),
    )
    .await;
    memberships.assignable_for_group(12).all().await.unwrap();
    expect(
        &server,
        "GET",
        "/api/v2/group_memberships/461",
        &[],
        None,
        200,
        example("ShowGroupMembershipById"),
    )
    .await;
    assert_eq!(memberships.get(461).await.unwrap().group_id, Some(88));
    expect(
        &server,
        "GET",
        "/api/v2/users/72/group_memberships/461",
        &[],
        None,
        200,
        example("ShowUserGroupMembershipById"),
    )
    .await;
    memberships.get_for_user(72, 461).await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/group_memberships",
        &[],
        Some(json!({"group_membership": {"user_id": 72, "group_id": 88}})),
        201,
        example("CreateGroupMembership"),
    )
    .await;
    memberships.create(72, 88).await.unwrap();
    expect(
        &server,
        "POST",
        "/api/v2/users/72/group_memberships",
        &[],
        Some(json!({"group_membership": {"user_id": 72, "group_id": 88}})),
        201,
        example("CreateUserGroupMembership"),
    )
    .await;
    memberships.create_for_user(72, 88).await.unwrap();
    expect(&server, "POST", "/api/v2/group_memberships/create_many", &[], Some(json!({"group_memberships": [{"user_id": 72, "group_id": 88}, {"user_id": 73, "group_id": 88}]})), 200, example("GroupMembershipBulkCreate")).await;
    memberships
        .create_many(&[(72, 88), (73, 88)])
        .await
        .unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/group_memberships/461",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    memberships.delete(461).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/users/72/group_memberships/461",
        &[],
        None,
        204,
        json!(null),
    )
    .await;
    memberships.delete_for_user(72, 461).await.unwrap();
    expect(
        &server,
        "DELETE",
        "/api/v2/group_memberships/destroy_many",
        &[("ids", "1,2")],
        None,
        200,
        example("GroupMembershipBulkDelete"),
    )
    .await;
    memberships.destroy_many(&[1, 2]).await.unwrap();
    expect(
        &server,
        "PUT",
        "/api/v2/users/29/group_memberships/4/make_default",
        &[],
        None,
        200,
        example("GroupMembershipSetDefault"),
    )
    .await;
    let after = memberships.make_default(29, 4).await.unwrap();
    assert_eq!(after.len(), 2);
}

/// The pauses between polls are handed in: this test's return at once and are counted.
fn counted_pauses(
    pauses: &std::sync::Mutex<Vec<Duration>>,
) -> impl FnMut(Duration) -> std::future::Ready<()> + '_ {
    move |pause| {
        pauses.lock().unwrap().push(pause);
        std::future::ready(())
    }
}

#[tokio::test]
async fn a_bulk_job_is_awaited_on_a_clock_the_test_moves() {
    let (server, client) = zendesk().await;
    let job_path = "/api/v2/job_statuses/8b726e606741012ffc2d782bcb7848fe";
    let mut working = example("ShowJobStatus");
    working["job_status"]["status"] = json!("working");
    working["job_status"]["results"] = json!(null);
    // Answers "working" twice, then Zendesk's own "completed" example.
    Mock::given(method("GET"))
        .and(path(job_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(working.clone()))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    expect(
        &server,
        "GET",
        job_path,
        &[],
        None,
        200,
        example("ShowJobStatus"),
    )
    .await;
    let queued: zendesk_support::JobStatus =
        serde_json::from_value(working["job_status"].clone()).unwrap();
    assert!(!queued.is_finished());
    let pauses = std::sync::Mutex::new(Vec::new());
    let done = client
        .job_statuses()
        .wait_with(
            &queued,
            Duration::from_secs(5),
            Duration::from_secs(60),
            counted_pauses(&pauses),
        )
        .await
        .unwrap();
    assert_eq!(done.status, Some(JobState::Completed));
    assert_eq!(done.results[0].status.as_deref(), Some("Updated"));
    // Three polls, five seconds apart.
    assert_eq!(*pauses.lock().unwrap(), [Duration::from_secs(5); 3]);

    expect(&server, "POST", "/api/v2/routing/agents/instance_values/jobs", &[], Some(json!({"job": {"action": "upsert", "items": [224, 225], "attributes": {"attribute_values": [{"agent_skill_priority": "NORMAL", "id": "b376b35a-e38b-11e8-a292-e3b6377c5575"}]}}})), 200, example("BulkSetAgentAttributeValuesJob")).await;
    let routing = client
        .job_statuses()
        .set_agent_attribute_values(
            "upsert",
            &[224, 225],
            &[json!({"agent_skill_priority": "NORMAL", "id": "b376b35a-e38b-11e8-a292-e3b6377c5575"})],
        )
        .await
        .unwrap();
    assert_eq!(routing.status, Some(JobState::Queued));
    expect(
        &server,
        "GET",
        "/api/v2/job_statuses",
        &[],
        None,
        200,
        example("ListJobStatuses"),
    )
    .await;
    assert!(!client.job_statuses().list().all().await.unwrap().is_empty());
    expect(
        &server,
        "GET",
        "/api/v2/job_statuses/show_many",
        &[("ids", "a1,b2")],
        None,
        200,
        example("ShowManyJobStatuses"),
    )
    .await;
    assert!(
        !client
            .job_statuses()
            .get_many(&["a1", "b2"])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_job_that_never_finishes_is_a_timeout_not_a_hang() {
    let (server, client) = zendesk().await;
    let mut working = example("ShowJobStatus");
    working["job_status"]["status"] = json!("queued");
    Mock::given(method("GET"))
        .and(path(
            "/api/v2/job_statuses/8b726e606741012ffc2d782bcb7848fe",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(working.clone()))
        .mount(&server)
        .await;
    let queued: zendesk_support::JobStatus =
        serde_json::from_value(working["job_status"].clone()).unwrap();
    let pauses = std::sync::Mutex::new(Vec::new());
    let error = client
        .job_statuses()
        .wait_with(
            &queued,
            Duration::from_secs(10),
            Duration::from_secs(25),
            counted_pauses(&pauses),
        )
        .await
        .unwrap_err();
    let Error::JobTimeout { waited, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(waited, Duration::from_secs(25));
    // 10 + 10 + the 5 left: never a pause past the timeout.
    assert_eq!(
        *pauses.lock().unwrap(),
        [10, 10, 5].map(Duration::from_secs)
    );
    assert!(
        Error::JobTimeout {
            id: "j".into(),
            waited
        }
        .is_retryable()
    );
}
