//! Custom ticket statuses: the account's own statuses within Zendesk's categories (new,
//! open, pending, hold, solved), and which ticket forms offer them.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/custom_ticket_statuses/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{CustomStatusUpdate, TicketStatus};
//!
//! let waiting = client
//!     .custom_statuses()
//!     .create(&CustomStatusUpdate::new(TicketStatus::Pending, "Waiting on carrier"))
//!     .await?;
//! println!("{} {:?}", waiting.id, waiting.status_category);
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{Client, Error, Result, TicketStatus};

/// A custom ticket status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CustomStatus {
    /// Its id (a ticket's `custom_status_id`).
    pub id: i64,
    /// The category it belongs to.
    #[serde(default)]
    pub status_category: Option<TicketStatus>,
    /// What agents see.
    #[serde(default)]
    pub agent_label: Option<String>,
    /// What end users see.
    #[serde(default)]
    pub end_user_label: Option<String>,
    /// Its description for agents.
    #[serde(default)]
    pub description: Option<String>,
    /// Its description for end users.
    #[serde(default)]
    pub end_user_description: Option<String>,
    /// Whether it is in use.
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether it is its category's default.
    #[serde(default)]
    pub default: Option<bool>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A custom status's settings, for create (category and agent label needed) and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CustomStatusUpdate {
    /// The category (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_category: Option<TicketStatus>,
    /// What agents see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_label: Option<String>,
    /// What end users see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_user_label: Option<String>,
    /// Its description for agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its description for end users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_user_description: Option<String>,
    /// Whether it is in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl CustomStatusUpdate {
    /// A status in `category` that agents see as `agent_label`.
    pub fn new(category: TicketStatus, agent_label: impl Into<String>) -> Self {
        Self {
            status_category: Some(category),
            agent_label: Some(agent_label.into()),
            ..Self::default()
        }
    }

    /// What end users see.
    pub fn end_user_label(mut self, label: impl Into<String>) -> Self {
        self.end_user_label = Some(label.into());
        self
    }

    /// In use or not.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }
}

/// Which ticket form offers which custom status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TicketFormStatus {
    /// Its id.
    pub id: String,
    /// The form.
    #[serde(default)]
    pub ticket_form_id: Option<i64>,
    /// The status.
    #[serde(default)]
    pub custom_status_id: Option<i64>,
}

/// Custom status calls: `client.custom_statuses()`.
#[derive(Debug, Clone, Copy)]
pub struct CustomStatuses<'c> {
    client: &'c Client,
}

impl Client {
    /// Custom ticket status calls.
    pub fn custom_statuses(&self) -> CustomStatuses<'_> {
        CustomStatuses { client: self }
    }
}

impl<'c> CustomStatuses<'c> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/custom_statuses{path}"))
    }

    /// Every custom status (Zendesk answers them in one list).
    pub fn list(&self) -> List<'c, CustomStatus> {
        List::new(
            self.client,
            "api/v2/custom_statuses",
            "custom_statuses",
            Paging::Single,
        )
    }

    /// The custom statuses of some categories, active or not.
    pub fn list_filtered(
        &self,
        categories: &[TicketStatus],
        active: Option<bool>,
    ) -> List<'c, CustomStatus> {
        let mut list = self.list();
        if !categories.is_empty() {
            let names: Vec<&str> = categories.iter().map(TicketStatus::as_str).collect();
            list = list.param("status_categories", names.join(","));
        }
        if let Some(active) = active {
            list = list.param("active", active.to_string());
        }
        list
    }

    /// Reads a custom status.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: i64) -> Result<CustomStatus> {
        let call = Call::new(Method::GET, self.url(&format!("/{id}"))?);
        self.client.fetch(call, "custom_status").await
    }

    /// Creates a custom status.
    ///
    /// # Errors
    /// [`Error::Config`] without a category or agent label; see [`Error`].
    pub async fn create(&self, status: &CustomStatusUpdate) -> Result<CustomStatus> {
        if status.status_category.is_none()
            || status
                .agent_label
                .as_deref()
                .is_none_or(|label| label.trim().is_empty())
        {
            return Err(Error::Config(
                "a custom status needs a category and an agent label".into(),
            ));
        }
        let call = Call::new(Method::POST, self.url("")?).json(&Keyed("custom_status", status))?;
        self.client.fetch(call, "custom_status").await
    }

    /// Changes a custom status. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &CustomStatusUpdate) -> Result<CustomStatus> {
        let call = Call::new(Method::PUT, self.url(&format!("/{id}"))?)
            .json(&Keyed("custom_status", update))?
            .idempotent(true);
        self.client.fetch(call, "custom_status").await
    }

    /// Deletes a custom status (one no ticket uses).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, id: i64) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&format!("/{id}"))?);
        self.client.execute(call).await
    }

    /// Makes these statuses the defaults of their categories.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn set_defaults(&self, ids: &[i64]) -> Result<()> {
        #[derive(Serialize)]
        struct Ids {
            ids: String,
        }
        let url = self.client.url("api/v2/custom_status/default")?;
        let call = Call::new(Method::PUT, url)
            .json(&Ids {
                ids: crate::client::join_ids(ids),
            })?
            .idempotent(true);
        self.client.execute(call).await
    }

    /// Offers a custom status on these ticket forms.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn add_to_forms(
        &self,
        id: i64,
        ticket_form_ids: &[i64],
    ) -> Result<Vec<TicketFormStatus>> {
        #[derive(Serialize)]
        struct Form {
            ticket_form_id: i64,
        }
        let forms: Vec<Form> = ticket_form_ids
            .iter()
            .map(|&ticket_form_id| Form { ticket_form_id })
            .collect();
        let call = Call::new(
            Method::POST,
            self.url(&format!("/{id}/ticket_form_statuses"))?,
        )
        .json(&Keyed("ticket_form_status", &forms))?;
        self.client
            .fetch_list::<TicketFormStatus>(call, "ticket_form_statuses")
            .await
    }
}
