//! The v2 webhook events SunCo's API description documents, typed; any other event type
//! is kept as [`EventPayload::Unknown`].
//!
//! A `conversation:message` payload that does not fit its type fails the whole envelope
//! (the bridge cannot act on half a message, and a 400 tells SunCo not to resend what will
//! never parse). Every other typed payload that does not fit is kept raw, as
//! [`EventPayload::Unknown`], with a warning: one envelope may carry several events, and an
//! event the service may not even act on must not cost it the message beside it.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::Event;
use crate::conversations::{ConversationType, SwitchboardIntegrationRef};
use crate::{ChannelClient, Message, User};

/// An event's payload, by type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventPayload {
    /// `conversation:message`: a message was sent (by the user, or by the business: this
    /// includes our own posts, which the bridge must ignore).
    ConversationMessage(Box<MessageEvent>),
    /// `conversation:create`: a conversation was created.
    ConversationCreate(Box<ConversationCreateEvent>),
    /// `conversation:join`: a user joined a conversation.
    ConversationJoin(Box<ParticipantEvent>),
    /// `conversation:leave`: a user left a conversation.
    ConversationLeave(Box<ParticipantEvent>),
    /// `conversation:remove`: a conversation was deleted.
    ConversationRemove(Box<ConversationRemoveEvent>),
    /// `conversation:read`: the user read the conversation.
    ConversationRead(Box<ActivityEvent>),
    /// `conversation:typing`: the user started or stopped typing.
    ConversationTyping(Box<ActivityEvent>),
    /// `conversation:postback`: the user pressed a postback button.
    ConversationPostback(Box<PostbackEvent>),
    /// `conversation:referral`: the user arrived through a referral (an ad, a QR code).
    ConversationReferral(Box<ReferralEvent>),
    /// `conversation:message:delivery:channel`: the channel accepted a business message.
    MessageDeliveryChannel(Box<DeliveryEvent>),
    /// `conversation:message:delivery:user`: the user's device received it.
    MessageDeliveryUser(Box<DeliveryEvent>),
    /// `conversation:message:delivery:failure`: it could not be delivered; see
    /// [`DeliveryEvent::error`].
    MessageDeliveryFailure(Box<DeliveryEvent>),
    /// `client:add`: a user got a client (a channel link, an SDK login).
    ClientAdd(Box<ClientEvent>),
    /// `client:remove`: a client was removed from a user.
    ClientRemove(Box<ClientEvent>),
    /// `client:update`: a client changed (confirmed, blocked, unblocked, matched).
    ClientUpdate(Box<ClientEvent>),
    /// `user:merge`: two users were merged into one.
    UserMerge(Box<UserMergeEvent>),
    /// `user:update`: a user changed (authenticated, locale detected).
    UserUpdate(Box<UserEvent>),
    /// `user:remove`: a user was deleted.
    UserRemove(Box<UserEvent>),
    /// Any other event type, kept as sent (also a typed event whose payload did not fit).
    Unknown(Value),
}

/// `conversation:message`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MessageEvent {
    /// The conversation.
    pub conversation: ConversationRef,
    /// The message.
    pub message: Message,
}

impl MessageEvent {
    /// Whether the business wrote it (our own echo, an agent, a bot): the bridge ignores these.
    pub fn is_from_business(&self) -> bool {
        self.message.author.kind == crate::AuthorType::Business
    }
}

/// The conversation of an event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ConversationRef {
    /// Its id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type", default)]
    pub kind: Option<ConversationType>,
    /// Its metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// The switchboard integration in control.
    #[serde(default)]
    pub active_switchboard_integration: Option<SwitchboardIntegrationRef>,
    /// The switchboard integration offered control.
    #[serde(default)]
    pub pending_switchboard_integration: Option<SwitchboardIntegrationRef>,
}

/// `conversation:create`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ConversationCreateEvent {
    /// The new conversation.
    pub conversation: ConversationRef,
    /// Why, e.g. `message`, `startConversation`, `proactiveMessaging`.
    #[serde(default)]
    pub creation_reason: Option<String>,
    /// The user, when there is one.
    #[serde(default)]
    pub user: Option<User>,
    /// Where it came from (the API, an SDK, a campaign), as sent.
    #[serde(default)]
    pub source: Option<Value>,
    /// The referral it came through, when any.
    #[serde(default)]
    pub referral: Option<Referral>,
}

/// `conversation:join` and `conversation:leave`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ParticipantEvent {
    /// The conversation.
    pub conversation: ConversationRef,
    /// The user who joined or left.
    pub user: User,
}

/// `conversation:remove`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ConversationRemoveEvent {
    /// The deleted conversation.
    pub conversation: ConversationRef,
}

/// `conversation:read` and `conversation:typing`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ActivityEvent {
    /// The conversation.
    pub conversation: ConversationRef,
    /// What the user did.
    pub activity: ActivityInfo,
}

/// An activity in an event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ActivityInfo {
    /// `conversation:read`, `typing:start` or `typing:stop`.
    #[serde(rename = "type", default)]
    pub kind: Option<crate::Activity>,
    /// Who did it, as sent.
    #[serde(default)]
    pub author: Option<Value>,
    /// Where, as sent.
    #[serde(default)]
    pub source: Option<Value>,
}

/// `conversation:postback`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PostbackEvent {
    /// The conversation.
    pub conversation: ConversationRef,
    /// The user who pressed the button.
    #[serde(default)]
    pub user: Option<User>,
    /// The button's postback.
    pub postback: Postback,
    /// Where, as sent.
    #[serde(default)]
    pub source: Option<Value>,
}

/// A postback button's payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Postback {
    /// The payload the button was made with.
    #[serde(default)]
    pub payload: Option<String>,
    /// The button's metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// `conversation:referral`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ReferralEvent {
    /// The conversation.
    pub conversation: ConversationRef,
    /// The user.
    #[serde(default)]
    pub user: Option<User>,
    /// Where, as sent.
    #[serde(default)]
    pub source: Option<Value>,
    /// The referral.
    #[serde(default)]
    pub referral: Option<Referral>,
}

/// A referral: the code of a link, ad or QR code that brought the user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Referral {
    /// The code.
    #[serde(default)]
    pub code: Option<String>,
    /// Channel details (`source`, `type`, `adId`), as sent.
    #[serde(default)]
    pub details: Option<Value>,
}

/// `conversation:message:delivery:channel`, `...:user` and `...:failure`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct DeliveryEvent {
    /// The conversation.
    #[serde(default)]
    pub conversation: Option<ConversationRef>,
    /// The user it was for.
    #[serde(default)]
    pub user: Option<User>,
    /// The message (its id).
    #[serde(default)]
    pub message: Option<MessageId>,
    /// The channel it went to (`type`, `integrationId`), as sent.
    #[serde(default)]
    pub destination: Option<Value>,
    /// The channel's own ids for the message.
    #[serde(default, deserialize_with = "crate::envelope::null_as_default")]
    pub external_messages: Vec<MessageId>,
    /// Whether no more delivery events follow for this message.
    #[serde(default)]
    pub is_final_event: Option<bool>,
    /// Why it failed (`...:failure` only).
    #[serde(default)]
    pub error: Option<DeliveryError>,
}

/// A message named by id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MessageId {
    /// The id.
    #[serde(default)]
    pub id: Option<String>,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DeliveryError {
    /// SunCo's code, e.g. `unauthorized`, `blocked`.
    #[serde(default)]
    pub code: Option<String>,
    /// The description.
    #[serde(default)]
    pub message: Option<String>,
}

/// `client:add`, `client:remove` and `client:update`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ClientEvent {
    /// The conversation, when the client was linked into one.
    #[serde(default)]
    pub conversation: Option<ConversationRef>,
    /// The user.
    #[serde(default)]
    pub user: Option<User>,
    /// The client.
    pub client: ChannelClient,
    /// Why, e.g. `channelLinking`, `sdkLogin`, `linkFailed`, `confirmed`, `blocked`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Where, as sent.
    #[serde(default)]
    pub source: Option<Value>,
    /// The error, for a failed link, as sent.
    #[serde(default)]
    pub error: Option<Value>,
}

/// `user:merge`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct UserMergeEvent {
    /// The user that remains and the one merged into it.
    pub merged_users: Merged<User>,
    /// Their conversations, when two were merged.
    #[serde(default)]
    pub merged_conversations: Option<Merged<ConversationRef>>,
    /// Their clients, when two were merged.
    #[serde(default)]
    pub merged_clients: Option<Merged<ChannelClient>>,
    /// The discarded user's metadata.
    #[serde(default)]
    pub discarded_metadata: Option<Map<String, Value>>,
    /// Why: `api`, `channelLinking` or `sdkLogin`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Two records merged into one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Merged<T> {
    /// The one that remains.
    pub surviving: T,
    /// The one merged into it (gone).
    pub discarded: T,
}

/// `user:update` and `user:remove`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserEvent {
    /// The user.
    pub user: User,
    /// Why (`user:update`: `authentication` or `localeDetection`).
    #[serde(default)]
    pub reason: Option<String>,
    /// Where, as sent.
    #[serde(default)]
    pub source: Option<Value>,
}

/// Reads a payload into a typed event, or keeps it raw when it does not fit.
fn lenient<T, F>(kind: &str, payload: Value, wrap: F) -> EventPayload
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(Box<T>) -> EventPayload,
{
    match T::deserialize(&payload) {
        Ok(event) => wrap(Box::new(event)),
        Err(error) => {
            tracing::warn!(kind, %error, "event payload does not fit its type; kept raw");
            EventPayload::Unknown(payload)
        }
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            id: String,
            #[serde(rename = "type")]
            kind: String,
            #[serde(default, with = "crate::timestamp::optional")]
            created_at: Option<time::OffsetDateTime>,
            #[serde(default)]
            payload: Value,
        }
        let raw = Raw::deserialize(deserializer)?;
        let payload = raw.payload;
        let kind = raw.kind.as_str();
        let payload = match kind {
            "conversation:message" => EventPayload::ConversationMessage(Box::new(
                serde_json::from_value(payload).map_err(serde::de::Error::custom)?,
            )),
            "conversation:create" => lenient(kind, payload, EventPayload::ConversationCreate),
            "conversation:join" => lenient(kind, payload, EventPayload::ConversationJoin),
            "conversation:leave" => lenient(kind, payload, EventPayload::ConversationLeave),
            "conversation:remove" => lenient(kind, payload, EventPayload::ConversationRemove),
            "conversation:read" => lenient(kind, payload, EventPayload::ConversationRead),
            "conversation:typing" => lenient(kind, payload, EventPayload::ConversationTyping),
            "conversation:postback" => lenient(kind, payload, EventPayload::ConversationPostback),
            "conversation:referral" => lenient(kind, payload, EventPayload::ConversationReferral),
            "conversation:message:delivery:channel" => {
                lenient(kind, payload, EventPayload::MessageDeliveryChannel)
            }
            "conversation:message:delivery:user" => {
                lenient(kind, payload, EventPayload::MessageDeliveryUser)
            }
            "conversation:message:delivery:failure" => {
                lenient(kind, payload, EventPayload::MessageDeliveryFailure)
            }
            "client:add" => lenient(kind, payload, EventPayload::ClientAdd),
            "client:remove" => lenient(kind, payload, EventPayload::ClientRemove),
            "client:update" => lenient(kind, payload, EventPayload::ClientUpdate),
            "user:merge" => lenient(kind, payload, EventPayload::UserMerge),
            "user:update" => lenient(kind, payload, EventPayload::UserUpdate),
            "user:remove" => lenient(kind, payload, EventPayload::UserRemove),
            _ => EventPayload::Unknown(payload),
        };
        Ok(Event {
            id: raw.id,
            kind: raw.kind,
            created_at: raw.created_at,
            payload,
        })
    }
}
