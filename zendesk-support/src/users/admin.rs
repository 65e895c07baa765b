//! User listings, counts, search and autocomplete; what belongs to a user (related counts,
//! sessions, brand memberships, entitlements, compliance deletions); the current user's
//! settings; and deleted users.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Call;
use crate::pagination::{List, Paging};
use crate::{Count, OrganizationSubscription, Result, Role, User, Users};

/// Counts of what belongs to a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserRelated {
    /// Tickets assigned to them.
    #[serde(default)]
    pub assigned_tickets: u64,
    /// Tickets they requested.
    #[serde(default)]
    pub requested_tickets: u64,
    /// Tickets they are copied on.
    #[serde(default)]
    pub ccd_tickets: u64,
    /// Organizations whose tickets they follow.
    #[serde(default)]
    pub organization_subscriptions: u64,
}

/// A signed-in session of a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserSession {
    /// Its id.
    pub id: i64,
    /// The user.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// When they signed in.
    #[serde(default, with = "crate::timestamp::optional")]
    pub authenticated_at: Option<time::OffsetDateTime>,
    /// When they were last seen.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_seen_at: Option<time::OffsetDateTime>,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A deleted user (kept until deleted permanently).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DeletedUser {
    /// Their id.
    pub id: i64,
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their email.
    #[serde(default)]
    pub email: Option<String>,
    /// Their role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Their organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// When they were created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

impl<'c> Users<'c> {
    fn list_at(&self, path: impl Into<String>) -> List<'c, User> {
        List::new(self.client, path, "users", Paging::Cursor)
    }

    /// Every user of the account.
    pub fn list(&self) -> List<'c, User> {
        self.list_at("api/v2/users")
    }

    /// The users of one role.
    pub fn list_by_role(&self, role: &Role) -> List<'c, User> {
        self.list().param("role", role.as_str())
    }

    /// The user with this external id, as a list.
    pub fn list_by_external_id(&self, external_id: &str) -> List<'c, User> {
        self.list().param("external_id", external_id)
    }

    /// The users of an organization.
    pub fn list_for_organization(&self, organization_id: i64) -> List<'c, User> {
        self.list_at(format!("api/v2/organizations/{organization_id}/users"))
    }

    /// How many users the account has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/users/count", &[]).await
    }

    /// How many users an organization has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_for_organization(&self, organization_id: i64) -> Result<Count> {
        self.client
            .count(
                &format!("api/v2/organizations/{organization_id}/users/count"),
                &[],
            )
            .await
    }

    /// Users matching `query`: a name, an email, a phone number, or search syntax such as
    /// `email:jane@example.com` (offset pages).
    pub fn search(&self, query: &str) -> List<'c, User> {
        List::new(self.client, "api/v2/users/search", "users", Paging::Offset).param("query", query)
    }

    /// The user with this exact external id, as a list (the search endpoint's own
    /// `external_id` filter).
    pub fn search_by_external_id(&self, external_id: &str) -> List<'c, User> {
        List::new(self.client, "api/v2/users/search", "users", Paging::Offset)
            .param("external_id", external_id)
    }

    /// Users whose name or email starts with `name` (at least 2 characters).
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for fewer than 2 characters; see [`Error`](crate::Error).
    pub async fn autocomplete(&self, name: &str) -> Result<Vec<User>> {
        check_prefix(name)?;
        List::new(
            self.client,
            "api/v2/users/autocomplete",
            "users",
            Paging::Offset,
        )
        .param("name", name)
        .all()
        .await
    }

    /// [`autocomplete`](Self::autocomplete) with the name in the body, kept out of the
    /// URL (and access logs).
    ///
    /// # Errors
    /// As [`autocomplete`](Self::autocomplete).
    pub async fn autocomplete_in_body(&self, name: &str) -> Result<Vec<User>> {
        check_prefix(name)?;
        #[derive(Serialize)]
        struct Name<'a> {
            name: &'a str,
        }
        let url = self.client.url("api/v2/users/autocomplete")?;
        let call = Call::new(Method::POST, url)
            .json(&Name { name })?
            .idempotent(true);
        self.client.fetch_list::<User>(call, "users").await
    }

    /// How many tickets relate to a user.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn related(&self, id: i64) -> Result<UserRelated> {
        let url = self.client.url(&format!("api/v2/users/{id}/related"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "user_related")
            .await
    }

    /// A user's signed-in sessions.
    pub fn sessions(&self, id: i64) -> List<'c, UserSession> {
        List::new(
            self.client,
            format!("api/v2/users/{id}/sessions"),
            "sessions",
            Paging::Cursor,
        )
    }

    /// The organizations whose tickets a user follows.
    pub fn organization_subscriptions(&self, id: i64) -> List<'c, OrganizationSubscription> {
        List::new(
            self.client,
            format!("api/v2/users/{id}/organization_subscriptions"),
            "organization_subscriptions",
            Paging::Cursor,
        )
    }

    /// An agent's brand memberships, as sent.
    pub fn brand_agents(&self, id: i64) -> List<'c, Value> {
        List::new(
            self.client,
            format!("api/v2/users/{id}/brand_agents"),
            "brand_agents",
            Paging::Cursor,
        )
    }

    /// One brand membership of an agent, as sent.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn brand_agent(&self, id: i64, brand_agent_id: &str) -> Result<Value> {
        let url = self.client.url(&format!(
            "api/v2/users/{id}/brand_agents/{}",
            crate::client::path_segment(brand_agent_id)
        ))?;
        self.client
            .fetch(Call::new(Method::GET, url), "brand_agent")
            .await
    }

    /// Where a user's GDPR deletion stands in each Zendesk product, as sent.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn compliance_deletion_statuses(&self, id: i64) -> Result<Vec<Value>> {
        let url = self
            .client
            .url(&format!("api/v2/users/{id}/compliance_deletion_statuses"))?;
        self.client
            .fetch_list::<Value>(Call::new(Method::GET, url), "compliance_deletion_statuses")
            .await
    }

    /// A user's roles in each Zendesk product (chat, explore, guide, talk, ...), by product.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn entitlements(&self, id: i64) -> Result<Map<String, Value>> {
        let url = self
            .client
            .url(&format!("api/v2/users/{id}/entitlements/full"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "entitlements")
            .await
    }

    /// The current user's settings, as sent.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn my_settings(&self) -> Result<Map<String, Value>> {
        let url = self.client.url("api/v2/users/me/settings")?;
        self.client
            .fetch(Call::new(Method::GET, url), "settings")
            .await
    }

    /// Changes the current user's settings (those given); answers them all.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update_my_settings(
        &self,
        settings: &Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let url = self.client.url("api/v2/users/me/settings")?;
        let call = Call::new(Method::PUT, url)
            .json(&crate::envelope::Keyed("settings", settings))?
            .idempotent(true);
        self.client.fetch(call, "settings").await
    }

    /// Users deleted and not yet deleted permanently.
    pub fn list_deleted(&self) -> List<'c, DeletedUser> {
        List::new(
            self.client,
            "api/v2/deleted_users",
            "deleted_users",
            Paging::Cursor,
        )
    }

    /// How many deleted users there are.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_deleted(&self) -> Result<Count> {
        self.client.count("api/v2/deleted_users/count", &[]).await
    }

    /// Reads a deleted user.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get_deleted(&self, id: i64) -> Result<DeletedUser> {
        let url = self.client.url(&format!("api/v2/deleted_users/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "deleted_user")
            .await
    }

    /// Deletes a deleted user for good (GDPR erasure; no undo).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete_permanently(&self, id: i64) -> Result<DeletedUser> {
        let url = self.client.url(&format!("api/v2/deleted_users/{id}"))?;
        self.client
            .fetch(Call::new(Method::DELETE, url), "deleted_user")
            .await
    }
}

fn check_prefix(name: &str) -> Result<()> {
    crate::client::check_prefix("autocomplete", name)
}
