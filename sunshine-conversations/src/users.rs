//! Users: find by id or external id, and create.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Users>

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, decode};
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
struct NewUser<'a> {
    external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a Profile>,
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

impl Users<'_> {
    /// Gets a user by SunCo id or external id (an email works; it is encoded).
    ///
    /// # Errors
    /// [`Error::Api`] with code `user_not_found` when there is none; see [`Error`].
    pub async fn get(&self, user_id_or_external_id: &str) -> Result<User> {
        if user_id_or_external_id.is_empty() {
            return Err(Error::Config("the user id is empty".into()));
        }
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
        let call = Call::new(Method::POST, url).json(&NewUser {
            external_id,
            profile,
        })?;
        let envelope: UserEnvelope = decode(self.client.send(call).await?).await?;
        envelope.into_user()
    }
}
