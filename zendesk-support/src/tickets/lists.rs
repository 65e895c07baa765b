//! Ticket listings and counts: all, recent, by user or organization, problems and their
//! incidents, the people on a ticket, its metrics, skips and related records.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Call;
use crate::pagination::{List, Paging};
use crate::{Count, Result, Ticket, Tickets, User};

/// What relates to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TicketRelated {
    /// How many incidents a problem has.
    #[serde(default)]
    pub incidents: Option<u64>,
    /// The closed tickets it follows up.
    #[serde(default, deserialize_with = "crate::open_enum::null_as_default")]
    pub followup_source_ids: Vec<i64>,
    /// Whether it is archived.
    #[serde(default)]
    pub from_archive: Option<bool>,
    /// Linked Jira issues.
    #[serde(default, deserialize_with = "crate::open_enum::null_as_default")]
    pub jira_issue_ids: Vec<Value>,
}

/// A ticket's metrics: reply, resolution and wait times.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TicketMetric {
    /// Its id.
    pub id: i64,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// How many times it was reopened.
    #[serde(default)]
    pub reopens: Option<u64>,
    /// How many public agent replies it had.
    #[serde(default)]
    pub replies: Option<u64>,
    /// When it was solved.
    #[serde(default, with = "crate::timestamp::optional")]
    pub solved_at: Option<time::OffsetDateTime>,
    /// The rest (`reply_time_in_minutes`, `full_resolution_time_in_minutes`, ...), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An agent's skip of a ticket in guided mode.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TicketSkip {
    /// Its id.
    pub id: i64,
    /// The agent.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The ticket's id.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// The ticket, when Zendesk includes it.
    #[serde(default)]
    pub ticket: Option<Ticket>,
    /// When.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

impl<'c> Tickets<'c> {
    fn list_at(&self, path: impl Into<String>) -> List<'c, Ticket> {
        List::new(self.client, path, "tickets", Paging::Cursor)
    }

    fn users_at(&self, path: String) -> List<'c, User> {
        List::new(self.client, path, "users", Paging::Single)
    }

    /// Every ticket of the account (not archived ones: use search or the incremental
    /// export for those).
    pub fn list(&self) -> List<'c, Ticket> {
        self.list_at("api/v2/tickets")
    }

    /// The ticket with this external id, as a list.
    pub fn list_by_external_id(&self, external_id: &str) -> List<'c, Ticket> {
        self.list().param("external_id", external_id)
    }

    /// Tickets the caller viewed recently.
    pub fn recent(&self) -> List<'c, Ticket> {
        self.list_at("api/v2/tickets/recent")
    }

    /// An organization's tickets.
    pub fn list_for_organization(&self, organization_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/organizations/{organization_id}/tickets"))
    }

    /// Tickets a user requested.
    pub fn list_requested_by(&self, user_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/users/{user_id}/tickets/requested"))
    }

    /// Tickets a user is copied on.
    pub fn list_ccd(&self, user_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/users/{user_id}/tickets/ccd"))
    }

    /// Tickets assigned to an agent.
    pub fn list_assigned_to(&self, user_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/users/{user_id}/tickets/assigned"))
    }

    /// Tickets an agent follows.
    pub fn list_followed_by(&self, user_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/users/{user_id}/tickets/followed"))
    }

    /// Problem tickets.
    pub fn problems(&self) -> List<'c, Ticket> {
        self.list_at("api/v2/problems")
    }

    /// A problem's incidents.
    pub fn incidents(&self, problem_id: i64) -> List<'c, Ticket> {
        self.list_at(format!("api/v2/tickets/{problem_id}/incidents"))
    }

    /// Problems whose subject starts with `text` (at least 2 characters).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn autocomplete_problems(&self, text: &str) -> Result<Vec<Ticket>> {
        #[derive(Serialize)]
        struct Text<'a> {
            text: &'a str,
        }
        let url = self.client.url("api/v2/problems/autocomplete")?;
        let call = Call::new(Method::POST, url)
            .json(&Text { text })?
            .idempotent(true);
        self.client.fetch_list::<Ticket>(call, "tickets").await
    }

    /// How many tickets the account has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/tickets/count", &[]).await
    }

    /// How many tickets an organization has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_for_organization(&self, organization_id: i64) -> Result<Count> {
        self.client
            .count(
                &format!("api/v2/organizations/{organization_id}/tickets/count"),
                &[],
            )
            .await
    }

    /// How many tickets are assigned to an agent.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_assigned_to(&self, user_id: i64) -> Result<Count> {
        self.client
            .count(
                &format!("api/v2/users/{user_id}/tickets/assigned/count"),
                &[],
            )
            .await
    }

    /// How many tickets a user is copied on.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_ccd(&self, user_id: i64) -> Result<Count> {
        self.client
            .count(&format!("api/v2/users/{user_id}/tickets/ccd/count"), &[])
            .await
    }

    /// The people copied on a ticket (legacy CCs).
    pub fn collaborators(&self, id: i64) -> List<'c, User> {
        self.users_at(format!("api/v2/tickets/{id}/collaborators"))
    }

    /// The people copied on a ticket by email.
    pub fn email_ccs(&self, id: i64) -> List<'c, User> {
        self.users_at(format!("api/v2/tickets/{id}/email_ccs"))
    }

    /// The agents following a ticket.
    pub fn followers(&self, id: i64) -> List<'c, User> {
        self.users_at(format!("api/v2/tickets/{id}/followers"))
    }

    /// A ticket's metrics.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn metrics(&self, id: i64) -> Result<TicketMetric> {
        let url = self.client.url(&format!("api/v2/tickets/{id}/metrics"))?;
        let crate::envelope::OneOrFirst(metric) = self
            .client
            .fetch(Call::new(Method::GET, url), "ticket_metric")
            .await?;
        Ok(metric)
    }

    /// What relates to a ticket (incidents, follow-ups, Jira issues).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn related(&self, id: i64) -> Result<TicketRelated> {
        let url = self.client.url(&format!("api/v2/tickets/{id}/related"))?;
        crate::client::decode(self.client.send(Call::new(Method::GET, url)).await?).await
    }

    /// Agents' skips of a ticket.
    pub fn skips(&self, id: i64) -> List<'c, TicketSkip> {
        List::new(
            self.client,
            format!("api/v2/tickets/{id}/skips"),
            "skips",
            Paging::Cursor,
        )
    }

    /// The ticket of a messaging (SunCo) conversation: how a conversation the bridge
    /// handles is found from the Zendesk side.
    ///
    /// # Errors
    /// A 404 [`Error::Api`](crate::Error::Api) when the conversation has no ticket; see
    /// [`Error`](crate::Error).
    pub async fn by_messaging_conversation(&self, conversation_id: &str) -> Result<Ticket> {
        let url = self.client.url(&format!(
            "api/v2/tickets/messaging/conversations/{}/ticket",
            crate::client::path_segment(conversation_id)
        ))?;
        self.client
            .fetch(Call::new(Method::GET, url), "ticket")
            .await
    }
}
