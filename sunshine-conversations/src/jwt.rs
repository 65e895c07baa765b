//! The JWTs SunCo accepts: the user token a web or mobile SDK logs in with, and the
//! app-scoped token for API calls. Both HS256, header `kid` = the API key id.
//!
//! Web SDK 5+ takes a user token as `Smooch.init({ integrationId, externalId, jwt })` or
//! `Smooch.login(externalId, jwt)` (`userId` is the pre-5.0 name of `externalId`). Issue a
//! token only for the identity the user logged in to *your* service as: whoever holds it
//! can read and write that user's conversations.
//!
//! Reference: <https://developer.zendesk.com/documentation/conversations/messaging-platform/users/authenticating-users/>
//!
//! ```
//! use sunshine_conversations::jwt;
//!
//! let token = jwt::user_token("app_5ebee0975ac5", "key-secret", "jane.doe@example.com")?;
//! assert_eq!(token.split('.').count(), 3);
//! # Ok::<(), sunshine_conversations::Error>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::{Error, Result};

#[derive(Serialize)]
struct UserClaims<'a> {
    scope: &'static str,
    external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
}

#[derive(Serialize)]
struct AppClaims {
    scope: &'static str,
}

fn sign<C: Serialize>(key_id: &str, key_secret: &str, claims: &C) -> Result<String> {
    if key_id.trim().is_empty() {
        return Err(Error::Config("the JWT key id is empty".into()));
    }
    if key_secret.is_empty() {
        return Err(Error::Config("the JWT key secret is empty".into()));
    }
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key_id.to_owned());
    let key = EncodingKey::from_secret(key_secret.as_bytes()).map_err(Error::Jwt)?;
    jsonwebtoken::encode(&header, claims, &key).map_err(Error::Jwt)
}

/// A user token for `external_id`, with no expiry.
///
/// # Errors
/// [`Error::Config`] for an empty key id, secret or external id; [`Error::Jwt`].
pub fn user_token(key_id: &str, key_secret: &str, external_id: &str) -> Result<String> {
    user_token_with_expiry(key_id, key_secret, external_id, None)
}

/// A user token for `external_id` that expires `lifetime` from now (claim `exp`), when
/// given.
///
/// # Errors
/// As [`user_token`].
pub fn user_token_with_expiry(
    key_id: &str,
    key_secret: &str,
    external_id: &str,
    lifetime: Option<Duration>,
) -> Result<String> {
    if external_id.trim().is_empty() {
        return Err(Error::Config("the external id is empty".into()));
    }
    let exp = lifetime.map(|lifetime| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(lifetime)
            .as_secs()
    });
    sign(
        key_id,
        key_secret,
        &UserClaims {
            scope: "user",
            external_id,
            exp,
        },
    )
}

/// An app-scoped token (`scope: "app"`) for API calls; [`Auth::Jwt`](crate::Auth::Jwt) signs
/// one for you.
///
/// # Errors
/// [`Error::Config`] for an empty key id or secret; [`Error::Jwt`].
pub fn app_token(key_id: &str, key_secret: &str) -> Result<String> {
    sign(key_id, key_secret, &AppClaims { scope: "app" })
}
