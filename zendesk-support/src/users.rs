//! Users: show, show many, create or update, and `me`.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/users/users/>

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, decode};
use crate::open_enum::open_enum;
use crate::{Client, Error, Result};

open_enum! {
    /// A user's role.
    pub enum Role {
        /// A customer.
        EndUser = "end-user",
        /// A support agent.
        Agent = "agent",
        /// An administrator.
        Admin = "admin",
    }
}

/// A Zendesk user.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id; `None` only for the anonymous user `me` answers to bad credentials.
    pub id: Option<i64>,
    /// Their name.
    pub name: Option<String>,
    /// Their primary email.
    pub email: Option<String>,
    /// Their role.
    pub role: Option<Role>,
    /// An id from another system.
    pub external_id: Option<String>,
    /// Whether the user is active.
    pub active: Option<bool>,
    /// Whether their identity is verified.
    pub verified: Option<bool>,
    /// Their time zone.
    pub time_zone: Option<String>,
    /// Their locale, e.g. `en-US`.
    pub locale: Option<String>,
}

/// A user to create, or to update when one with the same email or external id exists.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewUser {
    /// Their name (required by Zendesk on create).
    pub name: String,
    /// Their email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An id from another system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Their role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Mark the identity verified (no verification email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl NewUser {
    /// A user with a name and email.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// Sets the external id.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets the role.
    pub fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the verified flag.
    pub fn verified(mut self, verified: bool) -> Self {
        self.verified = Some(verified);
        self
    }
}

#[derive(Deserialize)]
struct UserEnvelope {
    user: User,
}

#[derive(Deserialize)]
struct UsersEnvelope {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Serialize)]
struct Wrapped<'a> {
    user: &'a NewUser,
}

/// Zendesk's limit of ids per `show_many` request.
const SHOW_MANY_LIMIT: usize = 100;

/// User calls: `client.users()`.
#[derive(Debug, Clone, Copy)]
pub struct Users<'c> {
    client: &'c Client,
}

impl Client {
    /// User calls.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl Users<'_> {
    /// Shows a user.
    ///
    /// # Errors
    /// [`Error::Api`] with status 404 when there is no such user; see [`Error`].
    pub async fn get(&self, id: i64) -> Result<User> {
        let url = self.client.url(&format!("api/v2/users/{id}"))?;
        let envelope: UserEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(envelope.user)
    }

    /// Shows several users, 100 ids per request (more ids make more requests). Unknown ids
    /// are left out of the answer.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get_many(&self, ids: &[i64]) -> Result<Vec<User>> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SHOW_MANY_LIMIT) {
            let joined = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut url = self.client.url("api/v2/users/show_many")?;
            url.query_pairs_mut().append_pair("ids", &joined);
            let envelope: UsersEnvelope =
                decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
            users.extend(envelope.users);
        }
        Ok(users)
    }

    /// Creates a user, or updates the one with the same email or external id. Safe to
    /// repeat, so retried after ambiguous failures too.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_or_update(&self, user: &NewUser) -> Result<User> {
        let url = self.client.url("api/v2/users/create_or_update")?;
        let call = Call::new(Method::POST, url)
            .json(&Wrapped { user })?
            .idempotent(true);
        let envelope: UserEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.user)
    }

    /// The authenticated user: a cheap check that the credentials work.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when Zendesk answers the anonymous user (no id), which is
    /// how it answers bad credentials here; see [`Error`].
    pub async fn me(&self) -> Result<User> {
        let url = self.client.url("api/v2/users/me")?;
        let envelope: UserEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        if envelope.user.id.is_none() {
            return Err(Error::Unauthenticated(
                "users/me answered the anonymous user".into(),
            ));
        }
        Ok(envelope.user)
    }
}
