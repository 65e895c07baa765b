//! Groups: the teams of agents tickets are assigned to.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/groups/groups/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::GroupUpdate;
//!
//! let tier2 = client.groups().create(&GroupUpdate::named("Tier 2")).await?;
//! let agents = client.groups().users(tier2.id).all().await?;
//! println!("{} agents in {:?}", agents.len(), tier2.name);
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{Client, Count, Error, Result, User};

/// A group of agents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Group {
    /// Its id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it is the account's default group.
    #[serde(default)]
    pub default: Option<bool>,
    /// Whether end users may see it (a private group's tickets are hidden from others).
    #[serde(default)]
    pub is_public: Option<bool>,
    /// Whether it was deleted.
    #[serde(default)]
    pub deleted: Option<bool>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A group's fields to set, for create (a name is needed) and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupUpdate {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether end users may see it (can only be set when the group is created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// Makes it the default group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

impl GroupUpdate {
    /// A group named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// With a description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Public or private.
    pub fn public(mut self, is_public: bool) -> Self {
        self.is_public = Some(is_public);
        self
    }
}

/// Group calls: `client.groups()`.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'c> {
    client: &'c Client,
}

impl Client {
    /// Group calls.
    pub fn groups(&self) -> Groups<'_> {
        Groups { client: self }
    }
}

impl<'c> Groups<'c> {
    fn url(&self, path: &str) -> Result<url::Url> {
        self.client.url(&format!("api/v2/groups{path}"))
    }

    /// Every group of the account (deleted ones too, unless
    /// [`list_active`](Self::list_active)).
    pub fn list(&self) -> List<'c, Group> {
        List::new(self.client, "api/v2/groups", "groups", Paging::Cursor)
    }

    /// Every group that is not deleted (`exclude_deleted=true`).
    pub fn list_active(&self) -> List<'c, Group> {
        self.list().param("exclude_deleted", "true")
    }

    /// The groups tickets may be assigned to.
    pub fn assignable(&self) -> List<'c, Group> {
        List::new(
            self.client,
            "api/v2/groups/assignable",
            "groups",
            Paging::Cursor,
        )
    }

    /// The groups an agent belongs to.
    pub fn list_for_user(&self, user_id: i64) -> List<'c, Group> {
        List::new(
            self.client,
            format!("api/v2/users/{user_id}/groups"),
            "groups",
            Paging::Cursor,
        )
    }

    /// The agents of a group.
    pub fn users(&self, group_id: i64) -> List<'c, User> {
        List::new(
            self.client,
            format!("api/v2/groups/{group_id}/users"),
            "users",
            Paging::Cursor,
        )
    }

    /// How many groups the account has.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/groups/count", &[]).await
    }

    /// How many groups an agent belongs to.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count_for_user(&self, user_id: i64) -> Result<Count> {
        self.client
            .count(&format!("api/v2/users/{user_id}/groups/count"), &[])
            .await
    }

    /// How many agents a group has.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count_users(&self, group_id: i64) -> Result<Count> {
        self.client
            .count(&format!("api/v2/groups/{group_id}/users/count"), &[])
            .await
    }

    /// Reads a group.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: i64) -> Result<Group> {
        let call = Call::new(Method::GET, self.url(&format!("/{id}"))?);
        self.client.fetch(call, "group").await
    }

    /// Creates a group. Not retried after an ambiguous failure (it could create two).
    ///
    /// # Errors
    /// [`Error::Config`] without a name; see [`Error`].
    pub async fn create(&self, group: &GroupUpdate) -> Result<Group> {
        if group
            .name
            .as_deref()
            .is_none_or(|name| name.trim().is_empty())
        {
            return Err(Error::Config("a group needs a name".into()));
        }
        let call = Call::new(Method::POST, self.url("")?).json(&Keyed("group", group))?;
        self.client.fetch(call, "group").await
    }

    /// Changes a group. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &GroupUpdate) -> Result<Group> {
        let call = Call::new(Method::PUT, self.url(&format!("/{id}"))?)
            .json(&Keyed("group", update))?
            .idempotent(true);
        self.client.fetch(call, "group").await
    }

    /// Deletes a group.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, id: i64) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&format!("/{id}"))?);
        self.client.execute(call).await
    }
}
