//! Triggers administration: the business rule that calls the webhook when a ticket changes.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{Action, Condition, Conditions, NewTrigger};
//!
//! let conditions = Conditions::all(vec![Condition::new("current_tags", "includes", "sunco_send")]);
//! let notify = Action::notify_webhook("01GDXYD7ZTWYP4TD6KPCDJ4D2Q", r#"{"ticket_id": "{{ticket.id}}"}"#);
//! let trigger = client.triggers().create(&NewTrigger::new("Send to messaging", conditions, vec![notify])).await?;
//! client.triggers().reorder(&[trigger.id]).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{List, Paging};
use crate::{Client, Result};

/// One trigger condition, e.g. `{"field":"update_type","operator":"is","value":"Create"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Condition {
    /// The field, e.g. `status`, `current_tags`, `update_type`.
    #[serde(default)]
    pub field: String,
    /// The operator, e.g. `is`, `includes`, `less_than`.
    #[serde(default)]
    pub operator: String,
    /// The value.
    #[serde(default)]
    pub value: Value,
}

impl Condition {
    /// A condition.
    pub fn new(
        field: impl Into<String>,
        operator: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        Self {
            field: field.into(),
            operator: operator.into(),
            value: value.into(),
        }
    }
}

/// A trigger's conditions: all of `all`, and at least one of `any` when it is not empty.
///
/// Zendesk may answer either list as `null` (its API description says so); that reads as
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Conditions {
    /// Conditions that must all hold.
    #[serde(default, deserialize_with = "null_as_default")]
    pub all: Vec<Condition>,
    /// Conditions of which one must hold.
    #[serde(default, deserialize_with = "null_as_default")]
    pub any: Vec<Condition>,
}

impl Conditions {
    /// Conditions that must all hold.
    pub fn all(all: Vec<Condition>) -> Self {
        Self {
            all,
            any: Vec::new(),
        }
    }

    /// Adds conditions of which one must hold.
    pub fn with_any(mut self, any: Vec<Condition>) -> Self {
        self.any = any;
        self
    }
}

/// One trigger action, e.g. `notification_webhook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Action {
    /// The action's field.
    pub field: String,
    /// Its value.
    pub value: Value,
}

impl Action {
    /// Calls the webhook with `json_body` (Zendesk placeholders such as `{{ticket.id}}` are
    /// filled in when it fires).
    pub fn notify_webhook(webhook_id: impl Into<String>, json_body: impl Into<String>) -> Self {
        Self {
            field: "notification_webhook".into(),
            value: Value::Array(vec![
                Value::String(webhook_id.into()),
                Value::String(json_body.into()),
            ]),
        }
    }
}

/// A whole trigger, for create and for update (an update replaces every field).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewTrigger {
    /// The title.
    pub title: String,
    /// Whether it runs.
    pub active: bool,
    /// When it fires.
    pub conditions: Conditions,
    /// What it does.
    pub actions: Vec<Action>,
    /// A description for admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewTrigger {
    /// An active trigger.
    pub fn new(title: impl Into<String>, conditions: Conditions, actions: Vec<Action>) -> Self {
        Self {
            title: title.into(),
            active: true,
            conditions,
            actions,
            description: None,
        }
    }
}

/// A trigger as Zendesk returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Trigger {
    /// The trigger's id.
    pub id: i64,
    /// The title.
    pub title: Option<String>,
    /// Whether it runs.
    pub active: Option<bool>,
    /// When it fires.
    pub conditions: Option<Conditions>,
    /// What it does.
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<Action>,
    /// A description for admins.
    #[serde(default)]
    pub description: Option<String>,
    /// Its place in the order triggers run in.
    #[serde(default)]
    pub position: Option<i64>,
    /// Its category (Zendesk sends the id as a string).
    #[serde(default, deserialize_with = "crate::open_enum::id_or_digits")]
    pub category_id: Option<i64>,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A saved version of a trigger.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TriggerRevision {
    /// Its id.
    pub id: i64,
    /// Who saved it.
    #[serde(default)]
    pub author_id: Option<i64>,
    /// The trigger as it was (`title`, `conditions`, `actions`, ...), as sent.
    #[serde(default)]
    pub snapshot: Option<Value>,
    /// What changed, as sent.
    #[serde(default)]
    pub diff: Option<Value>,
    /// When.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

/// A change to one trigger in [`Triggers::update_many`]: its place, whether it runs, its
/// category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TriggerChange {
    /// The trigger.
    pub id: i64,
    /// A new place in the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Turns it on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// A new category (sent as Zendesk's string id).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "category_as_text"
    )]
    pub category_id: Option<i64>,
}

impl TriggerChange {
    /// A change to trigger `id`.
    pub fn new(id: i64) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }

    /// Moves it.
    pub fn position(mut self, position: i64) -> Self {
        self.position = Some(position);
        self
    }

    /// Turns it on or off.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }
}

fn category_as_text<S: serde::Serializer>(
    category: &Option<i64>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match category {
        Some(id) => serializer.serialize_str(&id.to_string()),
        None => serializer.serialize_none(),
    }
}

#[derive(Deserialize)]
struct TriggerEnvelope {
    trigger: Trigger,
}

#[derive(Serialize)]
struct Wrapped<'a> {
    trigger: &'a NewTrigger,
}

/// Trigger admin calls: `client.triggers()`.
#[derive(Debug, Clone, Copy)]
pub struct Triggers<'c> {
    client: &'c Client,
}

impl Client {
    /// Trigger admin calls.
    pub fn triggers(&self) -> Triggers<'_> {
        Triggers { client: self }
    }
}

impl<'c> Triggers<'c> {
    /// Creates a trigger.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, trigger: &NewTrigger) -> Result<Trigger> {
        let url = self.client.url("api/v2/triggers")?;
        let call = Call::new(Method::POST, url).json(&Wrapped { trigger })?;
        let envelope: TriggerEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.trigger)
    }

    /// Every trigger of the account, active or not.
    pub fn list(&self) -> List<'c, Trigger> {
        List::new(self.client, "api/v2/triggers", "triggers", Paging::Cursor)
    }

    /// The triggers that run.
    pub fn list_active(&self) -> List<'c, Trigger> {
        List::new(
            self.client,
            "api/v2/triggers/active",
            "triggers",
            Paging::Cursor,
        )
    }

    /// Triggers whose title matches `query`.
    pub fn search(&self, query: &str) -> List<'c, Trigger> {
        List::new(
            self.client,
            "api/v2/triggers/search",
            "triggers",
            Paging::Offset,
        )
        .param("query", query)
    }

    /// Reads a trigger.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, id: i64) -> Result<Trigger> {
        let url = self.client.url(&format!("api/v2/triggers/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "trigger")
            .await
    }

    /// Deletes a trigger.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, id: i64) -> Result<()> {
        let url = self.client.url(&format!("api/v2/triggers/{id}"))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Deletes up to 100 triggers.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see
    /// [`Error`](crate::Error).
    pub async fn destroy_many(&self, ids: &[i64]) -> Result<()> {
        crate::client::check_many("trigger", ids.len())?;
        let mut url = self.client.url("api/v2/triggers/destroy_many")?;
        url.query_pairs_mut()
            .append_pair("ids", &crate::client::join_ids(ids));
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Puts the triggers in this order (ids, first to run to last).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn reorder(&self, ids: &[i64]) -> Result<()> {
        #[derive(Serialize)]
        struct Order<'a> {
            trigger_ids: &'a [i64],
        }
        let url = self.client.url("api/v2/triggers/reorder")?;
        let call = Call::new(Method::PUT, url)
            .json(&Order { trigger_ids: ids })?
            .idempotent(true);
        self.client.execute(call).await
    }

    /// Moves, turns on or off, or recategorises up to 100 triggers; answers them.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see
    /// [`Error`](crate::Error).
    pub async fn update_many(&self, changes: &[TriggerChange]) -> Result<Vec<Trigger>> {
        crate::client::check_many("trigger", changes.len())?;
        let url = self.client.url("api/v2/triggers/update_many")?;
        let call = Call::new(Method::PUT, url)
            .json(&crate::envelope::Keyed("triggers", changes))?
            .idempotent(true);
        self.client.fetch_list::<Trigger>(call, "triggers").await
    }

    /// A trigger's saved versions, newest first.
    pub fn revisions(&self, id: i64) -> List<'c, TriggerRevision> {
        List::new(
            self.client,
            format!("api/v2/triggers/{id}/revisions"),
            "trigger_revisions",
            Paging::IncrementalCursor,
        )
    }

    /// One saved version of a trigger.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn revision(&self, id: i64, revision_id: i64) -> Result<TriggerRevision> {
        let url = self
            .client
            .url(&format!("api/v2/triggers/{id}/revisions/{revision_id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "trigger_revision")
            .await
    }

    /// The conditions and actions a trigger may use, with their fields and values, as
    /// sent (`{"actions": [..], "conditions_all": [..], "conditions_any": [..]}`).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn definitions(&self) -> Result<Value> {
        let url = self.client.url("api/v2/triggers/definitions")?;
        self.client
            .fetch(Call::new(Method::GET, url), "definitions")
            .await
    }

    /// Replaces a trigger's title, conditions and actions with `trigger`'s. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(&self, id: i64, trigger: &NewTrigger) -> Result<Trigger> {
        let url = self.client.url(&format!("api/v2/triggers/{id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&Wrapped { trigger })?
            .idempotent(true);
        let envelope: TriggerEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.trigger)
    }
}
