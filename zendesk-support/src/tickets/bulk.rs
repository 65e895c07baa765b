//! Tickets by the hundred (show, create, update, delete, spam: each a background job but
//! show), merges, and deleted tickets (restore, delete for good).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, check_many};
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{JobStatus, NewTicket, Result, Ticket, TicketUpdate, Tickets};

/// Tickets a bulk call names, up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketIds<'a>(pub &'a [i64]);

impl TicketIds<'_> {
    fn query(self) -> Result<String> {
        crate::client::ids_param("ticket", self.0)
    }
}

/// A deleted ticket, kept 30 days before it is gone for good.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DeletedTicket {
    /// Its id.
    pub id: i64,
    /// Its subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Its status before it was deleted.
    #[serde(default)]
    pub previous_state: Option<String>,
    /// Who deleted it (`id`, `name`).
    #[serde(default)]
    pub actor: Option<Value>,
    /// When, as Zendesk writes it (this answer's format is not always RFC 3339).
    #[serde(default)]
    pub deleted_at: Option<String>,
}

impl<'c> Tickets<'c> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/{path}"))
    }

    fn with_ids(&self, path: &str, ids: TicketIds<'_>) -> Result<url::Url> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().append_pair("ids", &ids.query()?);
        Ok(url)
    }

    /// Reads up to 100 tickets at once.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn get_many(&self, ids: TicketIds<'_>) -> Result<Vec<Ticket>> {
        let url = self.with_ids("tickets/show_many", ids)?;
        self.client
            .fetch_list::<Ticket>(Call::new(Method::GET, url), "tickets")
            .await
    }

    /// Creates up to 100 tickets in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see [`Error`](crate::Error).
    pub async fn create_many(&self, tickets: &[NewTicket]) -> Result<JobStatus> {
        check_many("ticket", tickets.len())?;
        let call = Call::new(Method::POST, self.url("tickets/create_many")?)
            .json(&Keyed("tickets", tickets))?;
        self.client.fetch(call, "job_status").await
    }

    /// Makes the same change to up to 100 tickets in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn update_many(
        &self,
        ids: TicketIds<'_>,
        update: &TicketUpdate,
    ) -> Result<JobStatus> {
        let call = Call::new(Method::PUT, self.with_ids("tickets/update_many", ids)?)
            .json(&Keyed("ticket", update))?;
        self.client.fetch(call, "job_status").await
    }

    /// Makes a different change to each of up to 100 tickets in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see [`Error`](crate::Error).
    pub async fn update_each(&self, updates: &[(i64, TicketUpdate)]) -> Result<JobStatus> {
        check_many("ticket", updates.len())?;
        let body = crate::envelope::with_ids(updates);
        let call = Call::new(Method::PUT, self.url("tickets/update_many")?)
            .json(&Keyed("tickets", &body))?;
        self.client.fetch(call, "job_status").await
    }

    /// Deletes a ticket (it stays among the deleted for 30 days).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, id: i64) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&format!("tickets/{id}"))?);
        self.client.execute(call).await
    }

    /// Deletes up to 100 tickets in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn destroy_many(&self, ids: TicketIds<'_>) -> Result<JobStatus> {
        let url = self.with_ids("tickets/destroy_many", ids)?;
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }

    /// Marks a ticket as spam and suspends its requester.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn mark_as_spam(&self, id: i64) -> Result<()> {
        let url = self.url(&format!("tickets/{id}/mark_as_spam"))?;
        self.client
            .execute(Call::new(Method::PUT, url).idempotent(true))
            .await
    }

    /// Marks up to 100 tickets as spam, suspending their requesters, in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn mark_many_as_spam(&self, ids: TicketIds<'_>) -> Result<JobStatus> {
        let url = self.with_ids("tickets/mark_many_as_spam", ids)?;
        self.client
            .fetch(Call::new(Method::PUT, url).idempotent(true), "job_status")
            .await
    }

    /// Merges `sources` into the ticket `target`, with the comments Zendesk adds to each
    /// (public unless `public` is false). Runs in a background job.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn merge(
        &self,
        target: i64,
        sources: TicketIds<'_>,
        target_comment: &str,
        source_comment: &str,
        public: bool,
    ) -> Result<JobStatus> {
        sources.query()?;
        #[derive(Serialize)]
        struct Merge<'a> {
            ids: &'a [i64],
            target_comment: &'a str,
            source_comment: &'a str,
            target_comment_is_public: bool,
            source_comment_is_public: bool,
        }
        let call = Call::new(Method::POST, self.url(&format!("tickets/{target}/merge"))?).json(
            &Merge {
                ids: sources.0,
                target_comment,
                source_comment,
                target_comment_is_public: public,
                source_comment_is_public: public,
            },
        )?;
        self.client.fetch(call, "job_status").await
    }

    /// The deleted tickets of the last 30 days.
    pub fn list_deleted(&self) -> List<'c, DeletedTicket> {
        List::new(
            self.client,
            "api/v2/deleted_tickets",
            "deleted_tickets",
            Paging::Cursor,
        )
    }

    /// Restores a deleted ticket.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn restore(&self, id: i64) -> Result<()> {
        let url = self.url(&format!("deleted_tickets/{id}/restore"))?;
        self.client
            .execute(Call::new(Method::PUT, url).idempotent(true))
            .await
    }

    /// Restores up to 100 deleted tickets.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn restore_many(&self, ids: TicketIds<'_>) -> Result<()> {
        let url = self.with_ids("deleted_tickets/restore_many", ids)?;
        self.client
            .execute(Call::new(Method::PUT, url).idempotent(true))
            .await
    }

    /// Deletes a deleted ticket for good (no undo), in a background job.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete_permanently(&self, id: i64) -> Result<JobStatus> {
        let url = self.url(&format!("deleted_tickets/{id}"))?;
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }

    /// Deletes up to 100 deleted tickets for good (no undo), in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for none or more than 100; see [`Error`](crate::Error).
    pub async fn delete_many_permanently(&self, ids: TicketIds<'_>) -> Result<JobStatus> {
        let url = self.with_ids("deleted_tickets/destroy_many", ids)?;
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }
}
