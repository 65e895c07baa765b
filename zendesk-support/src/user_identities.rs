//! User identities: a user's emails, phone numbers and social accounts — as an agent sees
//! them ([`Client::user_identities`]) or as the end user does ([`Client::end_user_identities`],
//! with an end user's credentials).
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/users/user_identities/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::NewIdentity;
//!
//! let work = client.user_identities().create(135, &NewIdentity::email("jane@work.test")).await?;
//! client.user_identities().make_primary(135, work.id).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{Client, Error, Result};

/// One identity of a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UserIdentity {
    /// Its id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The user.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// `email`, `phone_number`, `twitter`, `facebook`, `google`, `agent_forwarding`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The address, number or handle.
    #[serde(default)]
    pub value: Option<String>,
    /// Whether it is verified.
    #[serde(default)]
    pub verified: Option<bool>,
    /// Whether it is the user's primary one of its type.
    #[serde(default)]
    pub primary: Option<bool>,
    /// How it was verified: `none`, `low`, `sso`, `full`, ...
    #[serde(default)]
    pub verification_method: Option<String>,
    /// Bounces counted against an email.
    #[serde(default)]
    pub undeliverable_count: Option<u32>,
    /// `deliverable` or `undeliverable`.
    #[serde(default)]
    pub deliverable_state: Option<String>,
    /// When it was added.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A new identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewIdentity {
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its value.
    pub value: String,
    /// Add it as verified (agents only; skips the verification email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Make it the primary one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl NewIdentity {
    /// An identity of `kind` (e.g. `phone_number`) with `value`.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            value: value.into(),
            verified: None,
            primary: None,
        }
    }

    /// An email address.
    pub fn email(address: impl Into<String>) -> Self {
        Self::new("email", address)
    }

    /// Added as verified.
    pub fn verified(mut self, verified: bool) -> Self {
        self.verified = Some(verified);
        self
    }
}

/// Whose view the calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Agent,
    EndUser,
}

/// User identity calls: `client.user_identities()` or `client.end_user_identities()`.
#[derive(Debug, Clone, Copy)]
pub struct UserIdentities<'c> {
    client: &'c Client,
    view: View,
}

impl Client {
    /// User identity calls, as an agent or admin.
    pub fn user_identities(&self) -> UserIdentities<'_> {
        UserIdentities {
            client: self,
            view: View::Agent,
        }
    }

    /// User identity calls on the end user's own identities (`end_users/...`), with an end
    /// user's credentials; update and verify are agents' only.
    pub fn end_user_identities(&self) -> UserIdentities<'_> {
        UserIdentities {
            client: self,
            view: View::EndUser,
        }
    }
}

impl<'c> UserIdentities<'c> {
    fn path(&self, user_id: i64, rest: &str) -> String {
        let root = match self.view {
            View::Agent => "users",
            View::EndUser => "end_users",
        };
        format!("api/v2/{root}/{user_id}/identities{rest}")
    }

    fn agents_only(&self, what: &str) -> Result<()> {
        if self.view == View::EndUser {
            return Err(Error::Config(format!(
                "end users cannot {what} an identity; use client.user_identities()"
            )));
        }
        Ok(())
    }

    /// A user's identities.
    pub fn list(&self, user_id: i64) -> List<'c, UserIdentity> {
        let paging = match self.view {
            View::Agent => Paging::Cursor,
            View::EndUser => Paging::Single,
        };
        List::new(self.client, self.path(user_id, ""), "identities", paging)
    }

    /// A user's identities of one type (e.g. `email`).
    pub fn list_of_type(&self, user_id: i64, kind: &str) -> List<'c, UserIdentity> {
        let name = match self.view {
            View::Agent => "type",
            View::EndUser => "type[]",
        };
        self.list(user_id).param(name, kind)
    }

    /// Reads one identity.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, user_id: i64, id: i64) -> Result<UserIdentity> {
        let url = self.client.url(&self.path(user_id, &format!("/{id}")))?;
        self.client
            .fetch(Call::new(Method::GET, url), "identity")
            .await
    }

    /// Adds an identity to a user.
    ///
    /// # Errors
    /// A 422 [`Error::Api`] when another user has it; see [`Error`].
    pub async fn create(&self, user_id: i64, identity: &NewIdentity) -> Result<UserIdentity> {
        if identity.value.trim().is_empty() {
            return Err(Error::Config("the identity's value is empty".into()));
        }
        let url = self.client.url(&self.path(user_id, ""))?;
        let call = Call::new(Method::POST, url).json(&Keyed("identity", identity))?;
        self.client.fetch(call, "identity").await
    }

    /// Changes an identity's value or verified flag (agents only). Safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`] in the end user's view; see [`Error`].
    pub async fn update(
        &self,
        user_id: i64,
        id: i64,
        value: Option<&str>,
        verified: Option<bool>,
    ) -> Result<UserIdentity> {
        self.agents_only("update")?;
        #[derive(Serialize)]
        struct Change<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            value: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            verified: Option<bool>,
        }
        let url = self.client.url(&self.path(user_id, &format!("/{id}")))?;
        let call = Call::new(Method::PUT, url)
            .json(&Keyed("identity", &Change { value, verified }))?
            .idempotent(true);
        self.client.fetch(call, "identity").await
    }

    /// Removes an identity.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, user_id: i64, id: i64) -> Result<()> {
        let url = self.client.url(&self.path(user_id, &format!("/{id}")))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Makes an identity the user's primary one of its type; answers all of them.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn make_primary(&self, user_id: i64, id: i64) -> Result<Vec<UserIdentity>> {
        let url = self
            .client
            .url(&self.path(user_id, &format!("/{id}/make_primary")))?;
        let call = Call::new(Method::PUT, url).idempotent(true);
        self.client
            .fetch_list::<UserIdentity>(call, "identities")
            .await
    }

    /// Sends the user an email to verify an identity.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn request_verification(&self, user_id: i64, id: i64) -> Result<()> {
        let url = self
            .client
            .url(&self.path(user_id, &format!("/{id}/request_verification")))?;
        self.client.execute(Call::new(Method::PUT, url)).await
    }

    /// Marks an identity verified (agents only). Safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`] in the end user's view; see [`Error`].
    pub async fn verify(&self, user_id: i64, id: i64) -> Result<UserIdentity> {
        self.agents_only("verify")?;
        let url = self
            .client
            .url(&self.path(user_id, &format!("/{id}/verify")))?;
        let call = Call::new(Method::PUT, url).idempotent(true);
        self.client.fetch(call, "identity").await
    }
}
