//! How the client proves who it is: [`Auth`].

use std::fmt;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::{Error, Result};

/// The credentials a [`Client`](crate::Client) sends.
///
/// `Debug` never shows a token or secret.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// **Legacy.** An agent's email and API token, sent as basic auth
    /// `{email}/token:{api_token}`. Zendesk switches API tokens off on 2027-04-30: move to
    /// [`Auth::client_credentials`].
    ApiToken {
        /// The agent's email.
        email: String,
        /// The API token.
        token: SecretString,
    },
    /// A static OAuth access token, sent as `Authorization: Bearer`.
    Bearer(SecretString),
    /// An OAuth client that mints its own access tokens with the `client_credentials` grant
    /// (`POST /oauth/tokens`), re-minting before they expire and once after a 401.
    ClientCredentials {
        /// The OAuth client's identifier.
        client_id: String,
        /// The OAuth client's secret.
        client_secret: SecretString,
        /// The scopes asked for, e.g. `read write`.
        scope: String,
        /// The lifetime asked for each token (Zendesk requires one for this grant).
        expires_in: Duration,
    },
}

impl Auth {
    /// Legacy API token auth (switched off by Zendesk on 2027-04-30).
    pub fn api_token(email: impl Into<String>, token: impl Into<String>) -> Self {
        Auth::ApiToken {
            email: email.into(),
            token: SecretString::from(token.into()),
        }
    }

    /// A static OAuth bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::Bearer(SecretString::from(token.into()))
    }

    /// OAuth client credentials with scope `read write` and one-hour tokens.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Auth::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            scope: "read write".to_owned(),
            expires_in: Duration::from_secs(3600),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiToken { email, .. } => f
                .debug_struct("ApiToken")
                .field("email", email)
                .field("token", &"[redacted]")
                .finish(),
            Auth::Bearer(_) => f.debug_tuple("Bearer").field(&"[redacted]").finish(),
            Auth::ClientCredentials {
                client_id,
                scope,
                expires_in,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[redacted]")
                .field("scope", scope)
                .field("expires_in", expires_in)
                .finish(),
        }
    }
}

/// A minted access token and when to stop using it.
struct MintedToken {
    token: SecretString,
    refresh_at: Instant,
}

/// The live form of [`Auth`] inside a client: for client credentials, the token cache.
pub(crate) struct AuthState {
    auth: Auth,
    /// Held while minting, so that any number of waiting requests cause one mint.
    minted: Mutex<Option<MintedToken>>,
}

/// Tokens are replaced this long before Zendesk would expire them.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct TokenRequest<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
    scope: &'a str,
    expires_in: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl AuthState {
    pub(crate) fn new(auth: Auth) -> Self {
        Self {
            auth,
            minted: Mutex::new(None),
        }
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Whether a 401 may be cured by minting a new token.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.auth, Auth::ClientCredentials { .. })
    }

    /// The `Authorization` header value for the next request.
    pub(crate) async fn header(&self, client: &crate::Client) -> Result<SecretString> {
        match &self.auth {
            Auth::ApiToken { email, token } => {
                let pair = format!("{email}/token:{}", token.expose_secret());
                Ok(SecretString::from(format!(
                    "Basic {}",
                    STANDARD.encode(pair)
                )))
            }
            Auth::Bearer(token) => Ok(SecretString::from(format!(
                "Bearer {}",
                token.expose_secret()
            ))),
            Auth::ClientCredentials { .. } => {
                let mut minted = self.minted.lock().await;
                let fresh = minted
                    .as_ref()
                    .filter(|token| token.refresh_at > Instant::now());
                let token = match fresh {
                    Some(token) => token.token.expose_secret().to_owned(),
                    None => {
                        let token = self.mint(client).await?;
                        let value = token.token.expose_secret().to_owned();
                        *minted = Some(token);
                        value
                    }
                };
                Ok(SecretString::from(format!("Bearer {token}")))
            }
        }
    }

    /// Forgets the minted token if it is the one that was just refused, so that the next
    /// [`header`](Self::header) mints anew (once, however many requests saw the 401).
    pub(crate) async fn invalidate(&self, refused_header: &SecretString) {
        let mut minted = self.minted.lock().await;
        let refused = refused_header
            .expose_secret()
            .strip_prefix("Bearer ")
            .unwrap_or_default();
        if minted
            .as_ref()
            .is_some_and(|token| token.token.expose_secret() == refused)
        {
            *minted = None;
        }
    }

    async fn mint(&self, client: &crate::Client) -> Result<MintedToken> {
        let Auth::ClientCredentials {
            client_id,
            client_secret,
            scope,
            expires_in,
        } = &self.auth
        else {
            return Err(Error::Config("only client credentials mint tokens".into()));
        };
        let requested = expires_in.as_secs().max(1);
        let body = TokenRequest {
            grant_type: "client_credentials",
            client_id,
            client_secret: client_secret.expose_secret(),
            scope,
            expires_in: requested,
        };
        let started = Instant::now();
        // Boxed: `send` asks for headers, which may mint, which sends (unauthenticated).
        let response: TokenResponse = Box::pin(client.mint_token(&body)).await?;
        let lifetime = Duration::from_secs(response.expires_in.unwrap_or(requested));
        let refresh_in = lifetime.checked_sub(REFRESH_MARGIN).unwrap_or(lifetime / 2);
        tracing::debug!(
            lifetime_secs = lifetime.as_secs(),
            "minted a Zendesk OAuth token"
        );
        Ok(MintedToken {
            token: SecretString::from(response.access_token),
            refresh_at: started + refresh_in,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        for auth in [
            Auth::api_token("agent@example.com", "tok-SECRET-1"),
            Auth::bearer("tok-SECRET-2"),
            Auth::client_credentials("bridge", "tok-SECRET-3"),
        ] {
            let shown = format!("{auth:?}");
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }
}
