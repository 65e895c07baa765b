//! Triggers administration: the business rule that calls the webhook when a ticket changes.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/>

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{CursorMeta, cursor_url, walk};
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
}

#[derive(Deserialize)]
struct TriggerList {
    #[serde(default, deserialize_with = "null_as_default")]
    triggers: Vec<Trigger>,
    #[serde(default)]
    meta: CursorMeta,
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

impl Triggers<'_> {
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

    /// Every trigger of the account (all pages), active or not.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self) -> Result<Vec<Trigger>> {
        let base = self.client.url("api/v2/triggers")?;
        walk("triggers", |after| {
            let call = Call::new(Method::GET, cursor_url(base.clone(), after.as_deref()));
            async move {
                let list: TriggerList = decode(self.client.send(call).await?).await?;
                Ok((list.triggers, list.meta))
            }
        })
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
