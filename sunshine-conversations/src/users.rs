//! Users: find by id, external id or email, create, update, delete, erase personal data,
//! and sync with the Zendesk user they belong to.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Users>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{Profile, UserUpdate};
//!
//! let user = match client.users().find("jane@example.com").await? {
//!     Some(user) => user,
//!     None => client.users().create("jane@example.com", None).await?,
//! };
//! let mut profile = Profile::default();
//! profile.given_name = Some("Jane".into());
//! client.users().update(&user.id, &UserUpdate::default().profile(profile)).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, decode, non_empty};
use crate::pagination::{Direction, List};
use crate::{Client, Error, Result};

/// A SunCo user.
///
/// Reads both the v2 shape (`{"id", "externalId"}`) and the v1.1 `appUser` shape
/// (`{"_id", "userId"}`): Meya's flow reads `result.user_id or result._id`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// SunCo's id for the user (v1: `_id`).
    #[serde(alias = "_id", alias = "user_id")]
    pub id: String,
    /// Your id for the user, e.g. their email (v1: `userId`).
    #[serde(default, alias = "userId")]
    pub external_id: Option<String>,
    /// The linked Zendesk user id, when SunCo runs inside a Zendesk account.
    #[serde(default)]
    pub zendesk_id: Option<String>,
    /// When the user first appeared.
    #[serde(default, with = "crate::timestamp::optional")]
    pub signed_up_at: Option<time::OffsetDateTime>,
    /// Name, email, avatar, locale.
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// The brand of a brand-separated user.
    #[serde(default)]
    pub brand_id: Option<String>,
    /// Kept when the app's retention would delete inactive users.
    #[serde(default)]
    pub to_be_retained: Option<bool>,
    /// Identities SunCo knows the user by (emails, phone numbers), read-only.
    #[serde(default, deserialize_with = "crate::envelope::null_as_default")]
    pub identities: Vec<Identity>,
}

/// An identity of a user, e.g. a verified email.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Identity {
    /// Its kind, e.g. `email`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The value, e.g. the address.
    #[serde(default)]
    pub value: Option<String>,
    /// How it was verified, e.g. `sso`.
    #[serde(default)]
    pub verification: Option<String>,
}

/// A user's profile.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "givenName")]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Locale, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl Profile {
    /// A profile with a name and email.
    pub fn new(given_name: Option<String>, surname: Option<String>, email: Option<String>) -> Self {
        Self {
            given_name,
            surname,
            email,
            ..Self::default()
        }
    }
}

/// v2 answers `{"user": ..}`, v1.1 `{"appUser": ..}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserEnvelope {
    user: Option<User>,
    app_user: Option<User>,
}

impl UserEnvelope {
    fn into_user(self) -> Result<User> {
        self.user.or(self.app_user).ok_or_else(|| Error::Decode {
            path: "user".into(),
            source: serde::de::Error::custom("neither `user` nor `appUser` in the answer"),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewUserRef<'a> {
    external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a Profile>,
}

/// A new user with everything SunCo takes, for [`Users::create_user`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    /// Your own id for the user (required, 1 to 1024 characters).
    pub external_id: String,
    /// The brand, for a brand-separated user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<String>,
    /// When the user signed up with you.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::timestamp::optional"
    )]
    pub signed_up_at: Option<time::OffsetDateTime>,
    /// Keep the user when the app's retention would delete it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_be_retained: Option<bool>,
    /// The profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Flat key-value data of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl NewUser {
    /// A user with this external id.
    pub fn new(external_id: impl Into<String>) -> Self {
        Self {
            external_id: external_id.into(),
            brand_id: None,
            signed_up_at: None,
            to_be_retained: None,
            profile: None,
            metadata: None,
        }
    }

    /// With a profile.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// With metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// In a brand.
    pub fn brand_id(mut self, brand_id: impl Into<String>) -> Self {
        self.brand_id = Some(brand_id.into());
        self
    }
}

/// The fields of a user to change, for [`Users::update`]; those not set stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    /// When the user signed up with you.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::timestamp::optional"
    )]
    pub signed_up_at: Option<time::OffsetDateTime>,
    /// Keep the user when the app's retention would delete it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_be_retained: Option<bool>,
    /// Profile fields to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// New metadata (replaces the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl UserUpdate {
    /// Changes the profile fields set in `profile`.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// Replaces the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Keeps or stops keeping the user through retention.
    pub fn to_be_retained(mut self, retained: bool) -> Self {
        self.to_be_retained = Some(retained);
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    surviving_zendesk_id: Option<&'a str>,
}

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

impl<'c> Users<'c> {
    /// Gets a user by SunCo id or external id (an email works; it is encoded).
    ///
    /// # Errors
    /// [`Error::Api`] with code `user_not_found` when there is none; see [`Error`].
    pub async fn get(&self, user_id_or_external_id: &str) -> Result<User> {
        non_empty("user id", user_id_or_external_id)?;
        let url = self
            .client
            .app_url(&["users", user_id_or_external_id], None)?;
        let envelope: UserEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        envelope.into_user()
    }

    /// Like [`get`](Self::get), with "no such user" (404 `user_not_found`) as `Ok(None)`.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn find(&self, user_id_or_external_id: &str) -> Result<Option<User>> {
        match self.get(user_id_or_external_id).await {
            Ok(user) => Ok(Some(user)),
            // Only SunCo's own "no such user": a bare 404 (a wrong base URL, a proxy) must
            // not pass for a customer who never opened the messenger.
            Err(Error::Api(error))
                if error.status == 404 && error.code.as_deref() == Some("user_not_found") =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Creates a user with an external id.
    ///
    /// # Errors
    /// [`Error::Api`] with status 409 (`conflict`) when a user with that external id exists;
    /// see [`Error`].
    pub async fn create(&self, external_id: &str, profile: Option<&Profile>) -> Result<User> {
        if external_id.trim().is_empty() {
            return Err(Error::Config("the external id is empty".into()));
        }
        let url = self.client.app_url(&["users"], None)?;
        let call = Call::new(Method::POST, url).json(&NewUserRef {
            external_id,
            profile,
        })?;
        let envelope: UserEnvelope = decode(self.client.send(call).await?).await?;
        envelope.into_user()
    }

    /// Creates a user with everything [`NewUser`] holds.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty external id; a 409 [`Error::Api`] when the external id
    /// is taken; see [`Error`].
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        if user.external_id.trim().is_empty() {
            return Err(Error::Config("the external id is empty".into()));
        }
        let url = self.client.app_url(&["users"], None)?;
        let call = Call::new(Method::POST, url).json(user)?;
        let envelope: UserEnvelope = decode(self.client.send(call).await?).await?;
        envelope.into_user()
    }

    /// The users one of whose identities is this email (`filter[identities.email]`; an
    /// email only in a user's profile does not match).
    pub fn list_by_email(&self, email: &str) -> List<'c, User> {
        List::in_app(
            self.client,
            &["users"],
            "users",
            Direction::Forwards,
            |user: &User| &user.id,
        )
        .param("filter[identities.email]", email)
    }

    /// Changes a user's profile, metadata, sign-up date or retention. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, user_id_or_external_id: &str, update: &UserUpdate) -> Result<User> {
        non_empty("user id", user_id_or_external_id)?;
        let url = self
            .client
            .app_url(&["users", user_id_or_external_id], None)?;
        let call = Call::new(Method::PATCH, url).json(update)?.idempotent(true);
        self.client.fetch(call, "user").await
    }

    /// Deletes a user with their conversations' participation and clients.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, user_id_or_external_id: &str) -> Result<()> {
        non_empty("user id", user_id_or_external_id)?;
        let url = self
            .client
            .app_url(&["users", user_id_or_external_id], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Erases a user's personal information (profile, identities, client details) and keeps
    /// the user; answers what remains.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete_personal_information(&self, user_id_or_external_id: &str) -> Result<User> {
        non_empty("user id", user_id_or_external_id)?;
        let url = self.client.app_url(
            &["users", user_id_or_external_id, "personalinformation"],
            None,
        )?;
        self.client
            .fetch(Call::new(Method::DELETE, url), "user")
            .await
    }

    /// Brings the messaging user of a Zendesk user (its `zendeskId`) up to date with
    /// Zendesk; after a Zendesk user merge, `surviving_zendesk_id` names the user that
    /// remains.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn sync(&self, zendesk_id: &str, surviving_zendesk_id: Option<&str>) -> Result<User> {
        non_empty("Zendesk user id", zendesk_id)?;
        let url = self.client.app_url(&["users", zendesk_id, "sync"], None)?;
        let call = Call::new(Method::POST, url).json(&SyncBody {
            surviving_zendesk_id,
        })?;
        self.client.fetch(call, "user").await
    }
}
