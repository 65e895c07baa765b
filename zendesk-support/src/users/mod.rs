//! Users: show, show many, create (one, many, or create-or-update), update, delete, search,
//! autocomplete, merge, and what belongs to a user.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/users/users/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{NewUser, UserUpdate};
//!
//! let jane = client.users().create_or_update(&NewUser::new("Jane Doe", "jane@example.com")).await?;
//! if let Some(id) = jane.id {
//!     client.users().update(id, &UserUpdate::default().phone("+15551234567")).await?;
//! }
//! let found = client.users().search("email:jane@example.com").all().await?;
//! # let _ = found;
//! # Ok(()) }
//! ```

mod admin;
mod bulk;

pub use admin::{DeletedUser, UserRelated, UserSession};
pub use bulk::OrganizationMembership;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    /// (Read from a number, or from a string of digits as some answers send it.)
    #[serde(default, deserialize_with = "crate::open_enum::id_or_digits")]
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
    /// Their primary phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Their default organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// Their tags.
    #[serde(default, deserialize_with = "crate::open_enum::null_as_default")]
    pub tags: Vec<String>,
    /// Custom user fields, by key.
    #[serde(default)]
    pub user_fields: Option<Map<String, Value>>,
    /// Details such as an address.
    #[serde(default)]
    pub details: Option<String>,
    /// Notes about them.
    #[serde(default)]
    pub notes: Option<String>,
    /// An alias shown to end users (agents).
    #[serde(default)]
    pub alias: Option<String>,
    /// Whether they are suspended.
    #[serde(default)]
    pub suspended: Option<bool>,
    /// Whether they are a shared agent from another account.
    #[serde(default)]
    pub shared: Option<bool>,
    /// An agent's custom role.
    #[serde(default)]
    pub custom_role_id: Option<i64>,
    /// An agent's default group.
    #[serde(default)]
    pub default_group_id: Option<i64>,
    /// Their API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// When they last signed in.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_login_at: Option<time::OffsetDateTime>,
    /// When they were created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When they last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A user to create, or to update when one with the same email or external id exists.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct NewUser {
    /// Their name (required by Zendesk on create).
    pub name: String,
    /// Their email.
    pub email: Option<String>,
    /// An id from another system.
    pub external_id: Option<String>,
    /// Their role.
    pub role: Option<Role>,
    /// Mark the identity verified (no verification email).
    pub verified: Option<bool>,
    /// Everything else to set.
    pub fields: UserUpdate,
}

/// The fields of a user to set; those not set stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UserUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new primary email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A new role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// An id from another system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// A phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The default organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<i64>,
    /// Tags (replace the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, by key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_fields: Option<Map<String, Value>>,
    /// Details such as an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Notes about them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Their time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Their locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Suspend or unsuspend them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

impl UserUpdate {
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Sets the default organization.
    pub fn organization_id(mut self, organization_id: i64) -> Self {
        self.organization_id = Some(organization_id);
        self
    }

    /// Suspends (or unsuspends) the user.
    pub fn suspended(mut self, suspended: bool) -> Self {
        self.suspended = Some(suspended);
        self
    }

    /// Sets one custom field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.user_fields
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
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

    /// With any other fields (where both set a name, email, role or external id, this
    /// user's own win).
    pub fn fields(mut self, fields: UserUpdate) -> Self {
        self.fields = fields;
        self
    }
}

impl Serialize for NewUser {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(flatten)]
            fields: &'a UserUpdate,
            #[serde(skip_serializing_if = "Option::is_none")]
            verified: Option<bool>,
        }
        let mut fields = self.fields.clone();
        fields.name = Some(self.name.clone());
        fields.email = self.email.clone().or(fields.email);
        fields.external_id = self.external_id.clone().or(fields.external_id);
        fields.role = self.role.clone().or(fields.role);
        Body {
            fields: &fields,
            verified: self.verified,
        }
        .serialize(serializer)
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
    pub(crate) client: &'c Client,
}

impl Client {
    /// User calls.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl<'c> Users<'c> {
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
            let joined = crate::client::join_ids(chunk);
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
