//! Ticket fields: the system fields and your custom ones (text, dropdown, checkbox, date,
//! ...), their order, and a dropdown's options.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{FieldOption, TicketFieldUpdate};
//!
//! let plan = client
//!     .ticket_fields()
//!     .create(&TicketFieldUpdate::new("tagger", "Plan").option(FieldOption::new("Gold", "plan_gold")))
//!     .await?;
//! client.ticket_fields().create_or_update_option(plan.id, &FieldOption::new("Silver", "plan_silver")).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::Call;
use crate::envelope::Keyed;
use crate::open_enum::null_as_default;
use crate::pagination::{List, Paging};
use crate::{Client, Count, Error, Result};

/// A ticket field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TicketField {
    /// Its id (a custom field's value is set by this id on a ticket).
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Its type: `subject`, `description`, `status`, ... for system fields; `text`,
    /// `textarea`, `checkbox`, `date`, `integer`, `decimal`, `regexp`, `partialcreditcard`,
    /// `multiselect`, `tagger` (dropdown), `lookup` for custom ones.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Its title for agents.
    #[serde(default)]
    pub title: Option<String>,
    /// Its title for end users.
    #[serde(default)]
    pub title_in_portal: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// A description for agents only.
    #[serde(default)]
    pub agent_description: Option<String>,
    /// Its place in the order.
    #[serde(default)]
    pub position: Option<i64>,
    /// Whether it is in use.
    #[serde(default)]
    pub active: Option<bool>,
    /// Agents must fill it to solve a ticket.
    #[serde(default)]
    pub required: Option<bool>,
    /// End users must fill it.
    #[serde(default)]
    pub required_in_portal: Option<bool>,
    /// End users see it.
    #[serde(default)]
    pub visible_in_portal: Option<bool>,
    /// End users may change it.
    #[serde(default)]
    pub editable_in_portal: Option<bool>,
    /// The tag a checkbox adds.
    #[serde(default)]
    pub tag: Option<String>,
    /// The pattern a `regexp` field's value must match.
    #[serde(default)]
    pub regexp_for_validation: Option<String>,
    /// A dropdown's options.
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_field_options: Vec<FieldOption>,
    /// A system field's options (e.g. the statuses).
    #[serde(default, deserialize_with = "null_as_default")]
    pub system_field_options: Vec<Value>,
    /// Whether it is a system field Zendesk made.
    #[serde(default)]
    pub removable: Option<bool>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// An option of a dropdown or multi-select field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct FieldOption {
    /// Its id (set it to update an option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its name, shown to agents.
    #[serde(default)]
    pub name: Option<String>,
    /// Its value: the tag it adds to the ticket.
    #[serde(default)]
    pub value: Option<String>,
    /// Its place in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// Whether it is the field's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Its API URL.
    #[serde(default, skip_serializing)]
    pub url: Option<String>,
}

impl FieldOption {
    /// An option shown as `name` that sets the tag `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            id: None,
            name: Some(name.into()),
            value: Some(value.into()),
            position: None,
            default: None,
            url: None,
        }
    }

    /// The existing option `id`, to update.
    pub fn with_id(mut self, id: i64) -> Self {
        self.id = Some(id);
        self
    }
}

/// A ticket field's settings, for create (type and title needed) and update.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TicketFieldUpdate {
    /// Its type (create only), e.g. `text`, `tagger`, `checkbox`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its title for end users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_in_portal: Option<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A description for agents only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_description: Option<String>,
    /// Whether it is in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Agents must fill it to solve a ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// End users see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_in_portal: Option<bool>,
    /// End users may change it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editable_in_portal: Option<bool>,
    /// End users must fill it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_in_portal: Option<bool>,
    /// Its place in the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The tag a checkbox adds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The pattern a `regexp` field's value must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regexp_for_validation: Option<String>,
    /// A dropdown's options (replace the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field_options: Option<Vec<FieldOption>>,
}

impl TicketFieldUpdate {
    /// A field of `kind` titled `title`.
    pub fn new(kind: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            kind: Some(kind.into()),
            title: Some(title.into()),
            ..Self::default()
        }
    }

    /// Retitles the field.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds a dropdown option.
    pub fn option(mut self, option: FieldOption) -> Self {
        self.custom_field_options
            .get_or_insert_with(Vec::new)
            .push(option);
        self
    }

    /// Requires it to solve a ticket.
    pub fn required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }
}

/// Ticket field calls: `client.ticket_fields()`.
#[derive(Debug, Clone, Copy)]
pub struct TicketFields<'c> {
    client: &'c Client,
}

impl Client {
    /// Ticket field calls.
    pub fn ticket_fields(&self) -> TicketFields<'_> {
        TicketFields { client: self }
    }
}

impl<'c> TicketFields<'c> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/ticket_fields{path}"))
    }

    /// Every ticket field, system and custom, in their order.
    pub fn list(&self) -> List<'c, TicketField> {
        List::new(
            self.client,
            "api/v2/ticket_fields",
            "ticket_fields",
            Paging::Cursor,
        )
    }

    /// How many ticket fields there are.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/ticket_fields/count", &[]).await
    }

    /// Reads up to 100 ticket fields by id.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100; see [`Error`].
    pub async fn get_many(&self, ids: &[i64]) -> Result<Vec<TicketField>> {
        crate::client::check_many("ticket field", ids.len())?;
        List::new(
            self.client,
            "api/v2/ticket_fields/show_many",
            "ticket_fields",
            Paging::Offset,
        )
        .param("ids", crate::client::join_ids(ids))
        .all()
        .await
    }

    /// Reads a ticket field.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: i64) -> Result<TicketField> {
        let call = Call::new(Method::GET, self.url(&format!("/{id}"))?);
        self.client.fetch(call, "ticket_field").await
    }

    /// Creates a custom ticket field.
    ///
    /// # Errors
    /// [`Error::Config`] without a type or title; see [`Error`].
    pub async fn create(&self, field: &TicketFieldUpdate) -> Result<TicketField> {
        let named = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
        if !named(&field.kind) || !named(&field.title) {
            return Err(Error::Config(
                "a ticket field needs a type and a title".into(),
            ));
        }
        let call = Call::new(Method::POST, self.url("")?).json(&Keyed("ticket_field", field))?;
        self.client.fetch(call, "ticket_field").await
    }

    /// Changes a ticket field. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &TicketFieldUpdate) -> Result<TicketField> {
        let call = Call::new(Method::PUT, self.url(&format!("/{id}"))?)
            .json(&Keyed("ticket_field", update))?
            .idempotent(true);
        self.client.fetch(call, "ticket_field").await
    }

    /// Deletes a custom ticket field.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, id: i64) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&format!("/{id}"))?);
        self.client.execute(call).await
    }

    /// Puts the ticket fields in this order (ids of the fields, first to last).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn reorder(&self, ids: &[i64]) -> Result<()> {
        #[derive(Serialize)]
        struct Order<'a> {
            ticket_field_ids: &'a [i64],
        }
        let call = Call::new(Method::PUT, self.url("/reorder")?)
            .json(&Order {
                ticket_field_ids: ids,
            })?
            .idempotent(true);
        self.client.execute(call).await
    }

    /// A dropdown field's options.
    pub fn options(&self, field_id: i64) -> List<'c, FieldOption> {
        List::new(
            self.client,
            format!("api/v2/ticket_fields/{field_id}/options"),
            "custom_field_options",
            Paging::Offset,
        )
    }

    /// Reads one option of a dropdown field.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get_option(&self, field_id: i64, option_id: i64) -> Result<FieldOption> {
        let call = Call::new(
            Method::GET,
            self.url(&format!("/{field_id}/options/{option_id}"))?,
        );
        self.client.fetch(call, "custom_field_option").await
    }

    /// Adds an option to a dropdown field, or updates the one with the option's id. Safe to
    /// repeat with an id.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_or_update_option(
        &self,
        field_id: i64,
        option: &FieldOption,
    ) -> Result<FieldOption> {
        let call = Call::new(Method::POST, self.url(&format!("/{field_id}/options"))?)
            .json(&Keyed("custom_field_option", option))?
            .idempotent(option.id.is_some());
        self.client.fetch(call, "custom_field_option").await
    }

    /// Deletes an option of a dropdown field.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete_option(&self, field_id: i64, option_id: i64) -> Result<()> {
        let call = Call::new(
            Method::DELETE,
            self.url(&format!("/{field_id}/options/{option_id}"))?,
        );
        self.client.execute(call).await
    }
}
