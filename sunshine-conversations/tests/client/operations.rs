//! One check per API v2 operation: the request we send (method, path, query, JSON body) and
//! how we read SunCo's own example answer for it (`fixtures/oas_examples.json`, taken from
//! SunCo's API description, keyed by operation id).

use futures_util::TryStreamExt;
use serde_json::{Map, Value, json};
use sunshine_conversations::{
    Activity, ActivityAuthor, AppSettings, AppUpdate, ClientStatus, ConfirmationType,
    ConversationType, ConversationUpdate, ConversionChannel, DeviceType, Error, IntegrationUpdate,
    InteractiveDataRef, NewApp, NewClient, NewConversation, NewIntegration,
    NewSwitchboardIntegration, NewUser, NewWebhook, ParticipantRef, Profile,
    SwitchboardIntegrationUpdate, SwitchboardUpdate, UserFilter, UserUpdate, WebhookUpdate,
};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{catch_all, client_for};

fn example(operation: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("../fixtures/oas_examples.json")).unwrap();
    all.get(operation)
        .cloned()
        .unwrap_or_else(|| panic!("no example for {operation}"))
}

/// Expects exactly one `verb path` with these query pairs (and this JSON body, when given),
/// and answers it `status` with `answer`.
async fn expect(
    server: &MockServer,
    verb: &str,
    at: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
    status: u16,
    answer: Value,
) {
    let mut mock = Mock::given(method(verb)).and(path(at));
    for (name, value) in query {
        mock = mock.and(query_param(*name, *value));
    }
    if let Some(body) = body {
        mock = mock.and(body_json(body));
    }
    mock.respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .expect(1)
        .mount(server)
        .await;
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    catch_all(&server).await;
    server
}

const APP: &str = "/v2/apps/app_1";

#[tokio::test]
async fn apps() {
    let server = server().await;
    let client = client_for(&server);
    let mut settings = AppSettings::default();
    settings.mask_credit_card_numbers = Some(true);
    expect(
        &server,
        "POST",
        "/v2/apps",
        &[],
        Some(json!({"displayName": "My Test App", "settings": {"maskCreditCardNumbers": true}})),
        201,
        example("CreateApp"),
    )
    .await;
    let app = client
        .apps()
        .create(&NewApp::new("My Test App").settings(settings))
        .await
        .unwrap();
    assert_eq!(app.id, "67a0e55ef0305f4a391e9d69");
    assert_eq!(app.settings.unwrap().mask_credit_card_numbers, Some(true));

    expect(
        &server,
        "GET",
        "/v2/apps",
        &[("filter[serviceAccountId]", "svc_1")],
        None,
        200,
        example("ListApps"),
    )
    .await;
    let apps = client
        .apps()
        .list_for_service_account("svc_1")
        .all()
        .await
        .unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].display_name.as_deref(), Some("My Test App"));

    expect(
        &server,
        "GET",
        "/v2/apps/67a0e55ef0305f4a391e9d69",
        &[],
        None,
        200,
        example("GetApp"),
    )
    .await;
    let app = client.apps().get("67a0e55ef0305f4a391e9d69").await.unwrap();
    assert_eq!(app.settings.unwrap().echo_postback, Some(false));

    expect(
        &server,
        "PATCH",
        "/v2/apps/67a0e55ef0305f4a391e9d69",
        &[],
        Some(json!({"displayName": "My Test App"})),
        200,
        example("UpdateApp"),
    )
    .await;
    let update = AppUpdate::default().display_name("My Test App");
    let app = client
        .apps()
        .update("67a0e55ef0305f4a391e9d69", &update)
        .await
        .unwrap();
    assert_eq!(app.display_name.as_deref(), Some("My Test App"));

    expect(
        &server,
        "DELETE",
        "/v2/apps/67a0e55ef0305f4a391e9d69",
        &[],
        None,
        200,
        json!({}),
    )
    .await;
    client
        .apps()
        .delete("67a0e55ef0305f4a391e9d69")
        .await
        .unwrap();
    assert!(matches!(
        client.apps().create(&NewApp::new("  ")).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn app_keys_and_their_secrets() {
    let server = server().await;
    let client = client_for(&server);
    expect(
        &server,
        "POST",
        &format!("{APP}/keys"),
        &[],
        Some(json!({"displayName": "My Test Key"})),
        201,
        example("CreateAppKey"),
    )
    .await;
    let key = client.app_keys().create("My Test Key").await.unwrap();
    assert_eq!(key.id, "app_67a0e949f0305f4a391e9d97");
    assert!(!format!("{key:?}").contains("2vErhBhv81"), "{key:?}");

    expect(
        &server,
        "GET",
        &format!("{APP}/keys"),
        &[],
        None,
        200,
        example("ListAppKeys"),
    )
    .await;
    let keys = client.app_keys().list().await.unwrap();
    assert_eq!(keys[0].display_name.as_deref(), Some("My Test Key"));

    expect(
        &server,
        "GET",
        &format!("{APP}/keys/app_67a0e949f0305f4a391e9d97"),
        &[],
        None,
        200,
        example("CreateAppKey"),
    )
    .await;
    let key = client
        .app_keys()
        .get("app_67a0e949f0305f4a391e9d97")
        .await
        .unwrap();
    use sunshine_conversations::ExposeSecret;
    assert!(
        key.secret
            .unwrap()
            .expose_secret()
            .starts_with("2vErhBhv81")
    );

    expect(
        &server,
        "DELETE",
        &format!("{APP}/keys/app_67a0e949f0305f4a391e9d97"),
        &[],
        None,
        200,
        json!({}),
    )
    .await;
    client
        .app_keys()
        .delete("app_67a0e949f0305f4a391e9d97")
        .await
        .unwrap();
}

#[tokio::test]
async fn users_beyond_get_and_create() {
    let server = server().await;
    let client = client_for(&server);
    let user_path = format!("{APP}/users/your-own-id");

    let mut profile = Profile::default();
    profile.given_name = Some("Sue".into());
    expect(
        &server,
        "POST",
        &format!("{APP}/users"),
        &[],
        Some(
            json!({"externalId": "your-own-id", "brandId": "9477922990333",
                    "profile": {"givenName": "Sue"}, "metadata": {"plan": "gold"}}),
        ),
        201,
        example("GetUser"),
    )
    .await;
    let mut metadata = Map::new();
    metadata.insert("plan".into(), "gold".into());
    let user = client
        .users()
        .create_user(
            &NewUser::new("your-own-id")
                .brand_id("9477922990333")
                .profile(profile.clone())
                .metadata(metadata),
        )
        .await
        .unwrap();
    assert_eq!(user.brand_id.as_deref(), Some("9477922990333"));

    expect(
        &server,
        "GET",
        &format!("{APP}/users"),
        &[("filter[identities.email]", "sue@example.org")],
        None,
        200,
        example("ListUsers"),
    )
    .await;
    let users = client
        .users()
        .list_by_email("sue@example.org")
        .all()
        .await
        .unwrap();
    assert_eq!(
        users[0].identities[0].value.as_deref(),
        Some("sue@example.org")
    );
    assert_eq!(users[0].identities[0].kind.as_deref(), Some("email"));

    expect(
        &server,
        "PATCH",
        &user_path,
        &[],
        Some(json!({"toBeRetained": true, "profile": {"givenName": "Sue"}})),
        200,
        example("GetUser"),
    )
    .await;
    let update = UserUpdate::default().profile(profile).to_be_retained(true);
    let user = client.users().update("your-own-id", &update).await.unwrap();
    assert_eq!(user.zendesk_id.as_deref(), Some("35436"));

    expect(&server, "DELETE", &user_path, &[], None, 200, json!({})).await;
    client.users().delete("your-own-id").await.unwrap();

    expect(
        &server,
        "DELETE",
        &format!("{user_path}/personalinformation"),
        &[],
        None,
        200,
        example("DeleteUserPersonalInformation"),
    )
    .await;
    let erased = client
        .users()
        .delete_personal_information("your-own-id")
        .await
        .unwrap();
    assert_eq!(erased.profile, Some(Profile::default()));

    expect(
        &server,
        "POST",
        &format!("{APP}/users/35436/sync"),
        &[],
        Some(json!({"survivingZendeskId": "35437"})),
        200,
        example("SyncUser"),
    )
    .await;
    let synced = client.users().sync("35436", Some("35437")).await.unwrap();
    assert_eq!(synced.external_id.as_deref(), Some("your-own-id"));
}

#[tokio::test]
async fn clients_and_devices() {
    let server = server().await;
    let client = client_for(&server);
    let mut criteria = Map::new();
    criteria.insert("type".into(), "whatsapp".into());
    criteria.insert("integrationId".into(), "582dedf230e788746891281a".into());
    criteria.insert("phoneNumber".into(), "+1 212-555-2368".into());
    expect(
        &server,
        "POST",
        &format!("{APP}/users/your-own-id/clients"),
        &[],
        Some(json!({
            "matchCriteria": {"type": "whatsapp", "integrationId": "582dedf230e788746891281a",
                              "phoneNumber": "+1 212-555-2368"},
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": "029c31f25a21b47effd7be90"}
        })),
        201,
        example("CreateClient"),
    )
    .await;
    let linked = client
        .clients()
        .create(
            "your-own-id",
            &NewClient::new(
                criteria,
                ConfirmationType::Immediate,
                "029c31f25a21b47effd7be90",
            ),
        )
        .await
        .unwrap();
    assert_eq!(linked.status, Some(ClientStatus::Pending));
    assert_eq!(linked.kind.as_deref(), Some("whatsapp"));

    expect(
        &server,
        "GET",
        &format!("{APP}/users/your-own-id/clients"),
        &[("page[size]", "50")],
        None,
        200,
        example("ListClients"),
    )
    .await;
    let clients = client
        .clients()
        .list("your-own-id")
        .page_size(50)
        .all()
        .await
        .unwrap();
    assert_eq!(clients[0].status, Some(ClientStatus::Active));
    assert!(clients[0].last_seen.is_some());

    expect(
        &server,
        "DELETE",
        &format!("{APP}/users/your-own-id/clients/67a0ee38f0305f4a391e9def"),
        &[],
        None,
        200,
        json!({}),
    )
    .await;
    client
        .clients()
        .remove("your-own-id", "67a0ee38f0305f4a391e9def")
        .await
        .unwrap();

    expect(
        &server,
        "GET",
        &format!("{APP}/users/your-own-id/devices"),
        &[],
        None,
        200,
        example("ListDevices"),
    )
    .await;
    let devices = client.devices().list("your-own-id").await.unwrap();
    assert_eq!(devices[0].kind, Some(DeviceType::Web));
    assert_eq!(
        devices[0].info.as_ref().unwrap()["browserLanguage"],
        "en-US"
    );

    expect(
        &server,
        "GET",
        &format!("{APP}/users/your-own-id/devices/5d9b870dda96abc332625ccc"),
        &[],
        None,
        200,
        example("GetDevice"),
    )
    .await;
    let device = client
        .devices()
        .get("your-own-id", "5d9b870dda96abc332625ccc")
        .await
        .unwrap();
    assert_eq!(
        device.guid.as_deref(),
        Some("f1c7abea2d49429db10094be820d5f80")
    );
}

#[tokio::test]
async fn conversations_beyond_list_and_create_personal() {
    let server = server().await;
    let client = client_for(&server);
    let conversation = format!("{APP}/conversations/67a0ecf8f0305f4a391e9db1");
    expect(
        &server,
        "POST",
        &format!("{APP}/conversations"),
        &[],
        Some(json!({
            "type": "sdkGroup",
            "participants": [{"userId": "u1", "subscribeSDKClient": true},
                             {"userExternalId": "jane@example.com"}],
            "displayName": "Billing"
        })),
        201,
        example("CreateConversation"),
    )
    .await;
    let group = NewConversation::sdk_group(vec![
        ParticipantRef::user_id("u1").subscribe_sdk_client(true),
        ParticipantRef::external_id("jane@example.com"),
    ])
    .display_name("Billing");
    let created = client.conversations().create(&group).await.unwrap();
    assert_eq!(created.kind, Some(ConversationType::Personal));

    expect(
        &server,
        "GET",
        &conversation,
        &[],
        None,
        200,
        example("GetConversation"),
    )
    .await;
    let read = client
        .conversations()
        .get("67a0ecf8f0305f4a391e9db1")
        .await
        .unwrap();
    assert_eq!(read.is_default, Some(false));
    assert!(read.last_updated_at.is_some());

    expect(
        &server,
        "PATCH",
        &conversation,
        &[],
        Some(json!({"displayName": "Billing", "metadata": {"ticket": "4021"}})),
        200,
        example("GetConversation"),
    )
    .await;
    let mut metadata = Map::new();
    metadata.insert("ticket".into(), "4021".into());
    client
        .conversations()
        .update(
            "67a0ecf8f0305f4a391e9db1",
            &ConversationUpdate::default()
                .display_name("Billing")
                .metadata(metadata),
        )
        .await
        .unwrap();

    expect(&server, "DELETE", &conversation, &[], None, 200, json!({})).await;
    client
        .conversations()
        .delete("67a0ecf8f0305f4a391e9db1")
        .await
        .unwrap();

    expect(
        &server,
        "POST",
        &format!("{conversation}/download"),
        &[],
        Some(json!({"userId": "u1", "apple": {"interactiveDataRef": {
            "url": "https://p.example/x", "bid": "com.apple.x", "key": "k",
            "signature": "s", "owner": "o"}}})),
        200,
        json!({}),
    )
    .await;
    let data_ref = InteractiveDataRef::new("https://p.example/x", "com.apple.x", "k", "s", "o");
    client
        .conversations()
        .download_message_ref("67a0ecf8f0305f4a391e9db1", "u1", &data_ref)
        .await
        .unwrap();

    expect(
        &server,
        "POST",
        &format!("{conversation}/conversionEvents"),
        &[],
        Some(json!({"whatsapp": {"payload": {"data": [{"event_name": "Purchase"}]}}})),
        200,
        example("PostConversionEvents"),
    )
    .await;
    let events = client
        .conversations()
        .post_conversion_events(
            "67a0ecf8f0305f4a391e9db1",
            ConversionChannel::Whatsapp,
            vec![json!({"event_name": "Purchase"})],
        )
        .await
        .unwrap();
    // SunCo's example writes the dataset id as a number; its schema says string.
    assert_eq!(events.dataset_id.as_deref(), Some("1234567890123456"));
    assert_eq!(events.events_received, Some(1));

    let too_many = NewConversation::sdk_group(
        (0..11)
            .map(|n| ParticipantRef::user_id(format!("u{n}")))
            .collect(),
    );
    assert!(matches!(
        client.conversations().create(&too_many).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn participants_join_leave_and_list() {
    let server = server().await;
    let client = client_for(&server);
    let conversation = format!("{APP}/conversations/c1");
    expect(
        &server,
        "POST",
        &format!("{conversation}/join"),
        &[],
        Some(json!({"userId": "67a11490f0305f4a391e9f8a", "subscribeSDKClient": true})),
        201,
        example("JoinConversation"),
    )
    .await;
    let joined = client
        .participants()
        .join(
            "c1",
            &ParticipantRef::user_id("67a11490f0305f4a391e9f8a").subscribe_sdk_client(true),
        )
        .await
        .unwrap();
    assert_eq!(joined.client_associations[0].kind.as_deref(), Some("sdk"));

    expect(
        &server,
        "POST",
        &format!("{conversation}/leave"),
        &[],
        Some(json!({"userExternalId": "jane@example.com"})),
        200,
        json!({}),
    )
    .await;
    client
        .participants()
        .leave("c1", &UserFilter::ExternalId("jane@example.com".into()))
        .await
        .unwrap();

    expect(
        &server,
        "GET",
        &format!("{conversation}/participants"),
        &[],
        None,
        200,
        example("ListParticipants"),
    )
    .await;
    let participants = client.participants().list("c1").all().await.unwrap();
    assert_eq!(participants[0].unread_count, Some(0));
    assert_eq!(
        participants[0].user_id.as_deref(),
        Some("67179a2930a150d5adc4d51f")
    );
    assert!(matches!(
        client
            .participants()
            .join("c1", &ParticipantRef::user_id(""))
            .await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn message_deletion_and_activities() {
    let server = server().await;
    let client = client_for(&server);
    let messages = format!("{APP}/conversations/c1/messages");
    expect(
        &server,
        "DELETE",
        &format!("{messages}/m1"),
        &[],
        None,
        200,
        json!({}),
    )
    .await;
    client.messages().delete("c1", "m1").await.unwrap();
    expect(&server, "DELETE", &messages, &[], None, 200, json!({})).await;
    client.messages().delete_all("c1").await.unwrap();

    expect(
        &server,
        "POST",
        &format!("{APP}/conversations/c1/activity"),
        &[],
        Some(json!({"author": {"type": "business", "displayName": "Sam"},
                    "type": "typing:start"})),
        200,
        json!({}),
    )
    .await;
    client
        .activities()
        .post(
            "c1",
            Activity::TypingStart,
            &ActivityAuthor::business().display_name("Sam"),
        )
        .await
        .unwrap();
    expect(
        &server,
        "POST",
        &format!("{APP}/conversations/c2/activity"),
        &[],
        Some(
            json!({"author": {"type": "user", "userId": "5963c0d619a30a2e00de36b8"},
                    "type": "conversation:read"}),
        ),
        200,
        json!({}),
    )
    .await;
    client
        .activities()
        .post(
            "c2",
            Activity::ConversationRead,
            &ActivityAuthor::user("5963c0d619a30a2e00de36b8"),
        )
        .await
        .unwrap();

    expect(
        &server,
        "POST",
        &format!("{APP}/attachments/remove"),
        &[],
        Some(json!({"mediaUrl": "https://media.example/a.png"})),
        200,
        json!({}),
    )
    .await;
    client
        .attachments()
        .remove("https://media.example/a.png")
        .await
        .unwrap();
}

#[tokio::test]
async fn integrations_of_any_type() {
    let server = server().await;
    let client = client_for(&server);
    let mut fields = Map::new();
    fields.insert("brandColor".into(), "65758e".into());
    expect(
        &server,
        "POST",
        &format!("{APP}/integrations"),
        &[],
        Some(json!({"type": "android", "displayName": "Android SDK", "brandColor": "65758e"})),
        201,
        example("CreateIntegration"),
    )
    .await;
    let created = client
        .integrations()
        .create(&NewIntegration::new("android", fields).display_name("Android SDK"))
        .await
        .unwrap();
    assert_eq!(created.kind.as_deref(), Some("android"));
    assert_eq!(created.status.as_deref(), Some("active"));

    expect(
        &server,
        "GET",
        &format!("{APP}/integrations"),
        &[("filter[types]", "android,ios")],
        None,
        200,
        example("ListIntegrations"),
    )
    .await;
    let mobile = client
        .integrations()
        .list()
        .types(&["android", "ios"])
        .all()
        .await
        .unwrap();
    assert_eq!(mobile[0].display_name.as_deref(), Some("Android SDK"));

    let one = format!("{APP}/integrations/5e4af71a81966cfff3ef6550");
    expect(
        &server,
        "GET",
        &one,
        &[],
        None,
        200,
        example("GetIntegration"),
    )
    .await;
    client
        .integrations()
        .get("5e4af71a81966cfff3ef6550")
        .await
        .unwrap();
    expect(
        &server,
        "PATCH",
        &one,
        &[],
        Some(json!({"displayName": "My Test Integration", "brandColor": "000000"})),
        200,
        example("GetIntegration"),
    )
    .await;
    client
        .integrations()
        .update(
            "5e4af71a81966cfff3ef6550",
            &IntegrationUpdate::default()
                .display_name("My Test Integration")
                .field("brandColor", "000000"),
        )
        .await
        .unwrap();
    expect(&server, "DELETE", &one, &[], None, 200, json!({})).await;
    client
        .integrations()
        .delete("5e4af71a81966cfff3ef6550")
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_integration_keys_and_webhooks() {
    let server = server().await;
    let client = client_for(&server);
    let integration = format!("{APP}/integrations/int1");
    expect(
        &server,
        "POST",
        &format!("{integration}/keys"),
        &[],
        Some(json!({"displayName": "My Test Key"})),
        201,
        example("CreateCustomIntegrationKey"),
    )
    .await;
    let key = client
        .integration_keys()
        .create("int1", "My Test Key")
        .await
        .unwrap();
    assert_eq!(key.id, "int_67a1110ef0305f4a391e9f01");
    expect(
        &server,
        "GET",
        &format!("{integration}/keys"),
        &[],
        None,
        200,
        example("ListCustomIntegrationKeys"),
    )
    .await;
    assert_eq!(
        client.integration_keys().list("int1").await.unwrap().len(),
        1
    );
    let key_path = format!("{integration}/keys/int_67a1110ef0305f4a391e9f01");
    expect(
        &server,
        "GET",
        &key_path,
        &[],
        None,
        200,
        example("GetCustomIntegrationKey"),
    )
    .await;
    client
        .integration_keys()
        .get("int1", "int_67a1110ef0305f4a391e9f01")
        .await
        .unwrap();
    expect(&server, "DELETE", &key_path, &[], None, 200, json!({})).await;
    client
        .integration_keys()
        .delete("int1", "int_67a1110ef0305f4a391e9f01")
        .await
        .unwrap();

    expect(
        &server,
        "POST",
        &format!("{integration}/webhooks"),
        &[],
        Some(json!({"target": "https://example.com/callback",
                    "triggers": ["conversation:read", "conversation:message"],
                    "includeFullSource": true})),
        201,
        example("CreateWebhook"),
    )
    .await;
    let webhook = client
        .webhooks()
        .create(
            "int1",
            &NewWebhook::new(
                "https://example.com/callback",
                &["conversation:read", "conversation:message"],
            )
            .include_full_source(true),
        )
        .await
        .unwrap();
    assert_eq!(webhook.version.as_deref(), Some("v2"));
    assert_eq!(webhook.include_full_user, Some(false));
    assert!(!format!("{webhook:?}").contains("8564b3e6"));

    expect(
        &server,
        "GET",
        &format!("{integration}/webhooks"),
        &[],
        None,
        200,
        example("ListWebhooks"),
    )
    .await;
    let webhooks = client.webhooks().list("int1").await.unwrap();
    assert_eq!(webhooks[0].triggers.len(), 2);
    let webhook_path = format!("{integration}/webhooks/5e554d2cac66fb73a3c01871");
    expect(
        &server,
        "PATCH",
        &webhook_path,
        &[],
        Some(json!({"includeFullUser": true})),
        200,
        example("UpdateWebhook"),
    )
    .await;
    client
        .webhooks()
        .update(
            "int1",
            "5e554d2cac66fb73a3c01871",
            &WebhookUpdate::default().include_full_user(true),
        )
        .await
        .unwrap();
    expect(&server, "DELETE", &webhook_path, &[], None, 200, json!({})).await;
    client
        .webhooks()
        .delete("int1", "5e554d2cac66fb73a3c01871")
        .await
        .unwrap();
    assert!(matches!(
        client
            .webhooks()
            .create("int1", &NewWebhook::new("https://x.example", &[]))
            .await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn switchboards_and_their_integrations() {
    let server = server().await;
    let client = client_for(&server);
    let boards = format!("{APP}/switchboards");
    expect(
        &server,
        "POST",
        &boards,
        &[],
        None,
        201,
        example("CreateSwitchboard"),
    )
    .await;
    let board = client.switchboards().create().await.unwrap();
    // The create has no body, and says so with `Content-Length: 0`.
    let requests = server.received_requests().await.unwrap();
    let create = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert_eq!(
        create
            .headers
            .get("content-length")
            .map(|v| v.to_str().unwrap()),
        Some("0")
    );
    assert!(!board.enabled);
    expect(
        &server,
        "GET",
        &boards,
        &[],
        None,
        200,
        example("ListSwitchboards"),
    )
    .await;
    assert_eq!(client.switchboards().list().await.unwrap()[0].id, board.id);
    let board_path = format!("{boards}/5ef21b132f21af34f088530d");
    expect(
        &server,
        "PATCH",
        &board_path,
        &[],
        Some(json!({"enabled": true, "defaultSwitchboardIntegrationId": "sbi1"})),
        200,
        example("UpdateSwitchboard"),
    )
    .await;
    client
        .switchboards()
        .update(
            &board.id,
            &SwitchboardUpdate::default()
                .enabled(true)
                .default_integration("sbi1"),
        )
        .await
        .unwrap();

    let members = format!("{board_path}/switchboardIntegrations");
    expect(
        &server,
        "POST",
        &members,
        &[],
        Some(
            json!({"name": "bot", "integrationType": "zd:agentWorkspace",
                    "deliverStandbyEvents": true,
                    "nextSwitchboardIntegrationId": "5ef21b86e933b7355c11c606",
                    "messageHistoryCount": 5}),
        ),
        201,
        example("CreateSwitchboardIntegration"),
    )
    .await;
    let member = client
        .switchboards()
        .create_integration(
            &board.id,
            &NewSwitchboardIntegration::of_type("bot", "zd:agentWorkspace")
                .deliver_standby_events(true)
                .next("5ef21b86e933b7355c11c606")
                .message_history_count(5),
        )
        .await
        .unwrap();
    assert_eq!(
        member.integration_type.as_deref(),
        Some("zd:agentWorkspace")
    );
    expect(
        &server,
        "GET",
        &members,
        &[],
        None,
        200,
        example("ListSwitchboardIntegrations"),
    )
    .await;
    let listed = client
        .switchboards()
        .list_integrations(&board.id)
        .await
        .unwrap();
    assert_eq!(listed[0].deliver_standby_events, Some(false));
    let member_path = format!("{members}/5ef21b86e933b7355c11c604");
    expect(
        &server,
        "PATCH",
        &member_path,
        &[],
        Some(json!({"deliverStandbyEvents": false})),
        200,
        example("UpdateSwitchboardIntegration"),
    )
    .await;
    client
        .switchboards()
        .update_integration(
            &board.id,
            &member.id,
            &SwitchboardIntegrationUpdate::default().deliver_standby_events(false),
        )
        .await
        .unwrap();
    expect(&server, "DELETE", &member_path, &[], None, 200, json!({})).await;
    client
        .switchboards()
        .delete_integration(&board.id, &member.id)
        .await
        .unwrap();
    expect(&server, "DELETE", &board_path, &[], None, 200, json!({})).await;
    client.switchboards().delete(&board.id).await.unwrap();
}

#[tokio::test]
async fn switchboard_actions_hand_a_conversation_over() {
    let server = server().await;
    let client = client_for(&server);
    let conversation = format!("{APP}/conversations/c1");
    let mut metadata = Map::new();
    metadata.insert("reason".into(), "needs a human".into());
    expect(
        &server,
        "POST",
        &format!("{conversation}/passControl"),
        &[],
        Some(json!({"switchboardIntegration": "agent-workspace",
                    "metadata": {"reason": "needs a human"}})),
        200,
        json!({}),
    )
    .await;
    client
        .switchboard_actions()
        .pass_control("c1", "agent-workspace", Some(metadata))
        .await
        .unwrap();
    expect(
        &server,
        "POST",
        &format!("{conversation}/offerControl"),
        &[],
        Some(json!({"switchboardIntegration": "sbi2"})),
        200,
        json!({}),
    )
    .await;
    client
        .switchboard_actions()
        .offer_control("c1", "sbi2", None)
        .await
        .unwrap();
    expect(
        &server,
        "POST",
        &format!("{conversation}/acceptControl"),
        &[],
        Some(json!({})),
        200,
        json!({}),
    )
    .await;
    client
        .switchboard_actions()
        .accept_control("c1", None)
        .await
        .unwrap();
    // SunCo refuses a release from an integration that is not in control.
    expect(
        &server,
        "POST",
        &format!("{conversation}/releaseControl"),
        &[],
        Some(json!({})),
        403,
        json!({"errors": [{"code": "forbidden",
                           "title": "The integration is not in control of the conversation"}]}),
    )
    .await;
    let refused = client
        .switchboard_actions()
        .release_control("c1", None)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    assert_eq!(refused.code(), Some("forbidden"));
}

/// Every list walks its pages with SunCo's cursors, or the last record's id when SunCo says
/// `hasMore` without one; a repeated cursor ends the walk.
#[tokio::test]
async fn lists_stream_over_all_pages() {
    let server = server().await;
    let client = client_for(&server);
    let page = |ids: &[&str], more: bool, cursor: Option<&str>| {
        let participants: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        let mut meta = json!({"hasMore": more});
        if let Some(cursor) = cursor {
            meta["afterCursor"] = json!(cursor);
        }
        json!({"participants": participants, "meta": meta})
    };
    let at = format!("{APP}/conversations/c1/participants");
    Mock::given(method("GET"))
        .and(path(&at))
        .and(query_param("page[after]", "cur-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["p3"], true, None)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(&at))
        .and(query_param("page[after]", "p3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["p4"], true, Some("cur-2"))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(&at))
        .and(query_param("page[size]", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &["p1", "p2"],
            true,
            Some("cur-2"),
        )))
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    let mut stream = client.participants().list("c1").page_size(2).stream();
    let mut ids = Vec::new();
    while let Some(participant) = stream.try_next().await.unwrap() {
        ids.push(participant.id);
    }
    // p1 p2 (cursor cur-2), p3 (no cursor: after p3), p4 repeats cur-2: stop.
    assert_eq!(ids, ["p1", "p2", "p3", "p4"]);
}
