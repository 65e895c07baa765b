//! [`Bridge`]: the two clients, the link store and the configuration, together.

use std::fmt;
use std::sync::Arc;

use std::time::Duration;

use meya_links::{DeliveryClaim, LinkStore};
use secrecy::ExposeSecret;

use crate::config::{Config, SunCoHost, ZendeskAuth};
use crate::inbox::InboxSignal;
use crate::media::MediaFetcher;
use crate::{Error, Result};

/// The thread data key holding the linked SunCo conversation's id.
pub const CONVERSATION_KEY: &str = "sunco_conversation_id";
/// The largest file the bridge carries from one side to the other (customer media to
/// Zendesk uploads; private agent attachments to SunCo).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// How many `api_timeout`s fetching one customer file may take (20 s by default): a file is
/// bigger than an API answer.
const MEDIA_TIMEOUTS: u32 = 4;
/// The shortest wait for a timed-out write to land before it is looked for.
const MIN_LATE_WRITE_WAIT: Duration = Duration::from_millis(100);
/// The thread data key holding the ticket a thread was last unlinked from: a retried customer
/// message looks there for a comment an earlier attempt may have posted before the unlink.
pub const PREVIOUS_TICKET_KEY: &str = "previous_zendesk_ticket_id";
/// The thread data key holding the thread's mode (`agent` once an agent started it).
pub const MODE_KEY: &str = "mode";

/// The agent-initiated conversation bridge between Zendesk Support and SunCo.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use bridge::{Bridge, config::Config};
/// use meya_links::SqliteStore;
///
/// let config = Config::loader()
///     .toml(&std::fs::read_to_string("bridge.toml")?)?
///     .env()
///     .build()?;
/// let store = Arc::new(SqliteStore::open("bridge.db").await?);
/// let bridge = Bridge::new(config, store)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Bridge {
    pub(crate) zendesk: zendesk_support::Client,
    pub(crate) sunco: sunshine_conversations::Client,
    pub(crate) store: Arc<dyn LinkStore>,
    pub(crate) config: Arc<Config>,
    /// Fetches customer media, only from SunCo's media hosts.
    pub(crate) media: MediaFetcher,
    /// Wakes an idle inbox worker of this process when an `accept_*` call records work.
    pub(crate) inbox_ready: InboxSignal,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("zendesk", &self.zendesk)
            .field("sunco", &self.sunco)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// Builds the Zendesk and SunCo clients from `config`, both with `api_timeout`.
    ///
    /// # Errors
    /// [`Error::Setup`] when a client cannot be built from the settings.
    pub fn new(config: Config, store: Arc<dyn LinkStore>) -> Result<Self> {
        let zendesk_auth = match &config.zendesk.auth {
            ZendeskAuth::ApiToken { email, token } => {
                zendesk_support::Auth::api_token(email, token.expose_secret())
            }
            ZendeskAuth::OAuth {
                client_id,
                client_secret,
            } => {
                zendesk_support::Auth::client_credentials(client_id, client_secret.expose_secret())
            }
        };
        let setup = |error: &dyn fmt::Display| Error::Setup(error.to_string());
        let zendesk = zendesk_support::Client::builder();
        let zendesk = match (&config.zendesk.base_url, &config.zendesk.subdomain) {
            (Some(url), _) => zendesk.base_url(url),
            (None, Some(subdomain)) => zendesk.subdomain(subdomain),
            (None, None) => Err(zendesk_support::Error::Config(
                "set subdomain or base_url".into(),
            )),
        }
        .map_err(|e| setup(&e))?
        .auth(zendesk_auth)
        .timeout(config.api_timeout)
        .build()
        .map_err(|e| setup(&e))?;

        let sunco = sunshine_conversations::Client::builder().app_id(&config.sunco.app_id);
        let sunco = match &config.sunco.host {
            SunCoHost::Zendesk(subdomain) => sunco.zendesk_subdomain(subdomain),
            SunCoHost::SmoochUs => sunco.host(sunshine_conversations::Host::SmoochUs),
            SunCoHost::SmoochEu => sunco.host(sunshine_conversations::Host::SmoochEu),
            SunCoHost::BaseUrl(url) => sunco.base_url(url),
        }
        .map_err(|e| setup(&e))?
        .auth(sunshine_conversations::Auth::basic(
            &config.sunco.key_id,
            config.sunco.key_secret.expose_secret(),
        ))
        .timeout(config.api_timeout)
        .build()
        .map_err(|e| setup(&e))?;
        Self::from_parts(config, zendesk, sunco, store)
    }

    /// Assembles a bridge from clients built by the caller (custom retry policies, proxies).
    ///
    /// # Errors
    /// [`Error::Setup`] when the HTTP client for customer media cannot be built.
    pub fn from_parts(
        config: Config,
        zendesk: zendesk_support::Client,
        sunco: sunshine_conversations::Client,
        store: Arc<dyn LinkStore>,
    ) -> Result<Self> {
        let media = MediaFetcher::new(config.media.clone(), config.api_timeout * MEDIA_TIMEOUTS)
            .map_err(Error::Setup)?;
        Ok(Self {
            zendesk,
            sunco,
            store,
            config: Arc::new(config),
            media,
            inbox_ready: InboxSignal::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The Zendesk client the bridge acts with (the bot agent's credentials).
    pub fn zendesk(&self) -> &zendesk_support::Client {
        &self.zendesk
    }

    /// The SunCo client the bridge acts with (the app key).
    pub fn sunco(&self) -> &sunshine_conversations::Client {
        &self.sunco
    }

    /// The link store.
    pub fn store(&self) -> &Arc<dyn LinkStore> {
        &self.store
    }

    /// Ends a claim whose delivery failed. After a definite failure it is released, so the
    /// next attempt may start at once. After a timeout the write may still land: the claim is
    /// held for one more `api_timeout`, and the next attempt (its count raised) looks for the
    /// message before sending it again.
    pub(crate) async fn settle_failed_claim(&self, claim: &DeliveryClaim, error: &Error) {
        let timed_out = match error {
            Error::SunCo(e) => e.is_timeout(),
            Error::Zendesk(e) => e.is_timeout(),
            _ => false,
        };
        let settled = if timed_out {
            let mut held = claim.clone();
            self.store
                .delivery_renew(&mut held, self.config.api_timeout.max(MIN_LATE_WRITE_WAIT))
                .await
        } else {
            self.store.delivery_release(claim).await
        };
        match settled {
            // Completed before the failure, or taken over: nothing to settle.
            Ok(()) | Err(meya_links::Error::ClaimLost { .. }) => {}
            Err(error) => tracing::warn!(error = %error, "could not settle a delivery claim"),
        }
    }
}
