//! [`Bridge`]: the two clients, the link store and the configuration together, and the entry
//! points a service calls. Each entry point hands over to the module named after its work:
//! [`receiving`](crate::receiving), the [worker](crate::InboxWorker), the flows.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use meya_links::LinkStore;
use secrecy::ExposeSecret;
use zendesk_support::inbound::TicketEvent;

use crate::config::{Config, SunCoHost, ZendeskAuth};
use crate::context::Context;
use crate::customer_lock::CustomerLocks;
use crate::flows::starting_conversation::{self, StartOutcome};
use crate::media::MediaFetcher;
use crate::receiving::{self, Accepted, WebhookRejection};
use crate::{Error, InboxWorker, Result, SunCoEventOutcome, ZendeskWebhookOutcome};

/// How many `api_timeout`s fetching one customer file may take (20 s by default): a file is
/// bigger than an API answer.
const MEDIA_TIMEOUTS: u32 = 4;

/// The longest `Retry-After` a Zendesk or SunCo call sleeps through. A longer one (Zendesk's
/// account limit answers up to a minute) is the account's, not the call's: the call fails at
/// once, and the inbox worker pauses and retries the batch when the time is up (see
/// `upstream_pause`), rather than every batch in flight sleeping inside its call and
/// retrying together at the end.
const LONGEST_WAIT_IN_A_CALL: std::time::Duration = std::time::Duration::from_secs(2);

/// The agent-initiated conversation bridge between Zendesk Support and SunCo. Cheap to
/// clone: clones share the clients, the store and the customer locks.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use zendesk_sunco_bridge::{Bridge, config::Config};
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
    context: Arc<Context>,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.context.fmt(f)
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
        let zendesk = zendesk_support::Client::builder();
        let zendesk = match (&config.zendesk.base_url, &config.zendesk.subdomain) {
            (Some(url), _) => zendesk.base_url(url),
            (None, Some(subdomain)) => zendesk.subdomain(subdomain),
            (None, None) => Err(zendesk_support::Error::Config(
                "set subdomain or base_url".into(),
            )),
        }
        .map_err(|e| Error::setup("the Zendesk client", e))?
        .auth(zendesk_auth)
        .timeout(config.api_timeout)
        .retry(zendesk_support::RetryPolicy::default().max_retry_after(LONGEST_WAIT_IN_A_CALL));
        let zendesk = match config.zendesk_requests_per_minute {
            Some(budget) => zendesk.requests_per_minute(budget),
            None => zendesk,
        }
        .build()
        .map_err(|e| Error::setup("the Zendesk client", e))?;

        let sunco = sunshine_conversations::Client::builder().app_id(&config.sunco.app_id);
        let sunco = match &config.sunco.host {
            SunCoHost::Zendesk(subdomain) => sunco.zendesk_subdomain(subdomain),
            SunCoHost::SmoochUs => sunco.host(sunshine_conversations::Host::SmoochUs),
            SunCoHost::SmoochEu => sunco.host(sunshine_conversations::Host::SmoochEu),
            SunCoHost::BaseUrl(url) => sunco.base_url(url),
        }
        .map_err(|e| Error::setup("the SunCo client", e))?
        .auth(sunshine_conversations::Auth::basic(
            &config.sunco.key_id,
            config.sunco.key_secret.expose_secret(),
        ))
        .timeout(config.api_timeout)
        .retry(
            sunshine_conversations::RetryPolicy::default().max_retry_after(LONGEST_WAIT_IN_A_CALL),
        )
        .build()
        .map_err(|e| Error::setup("the SunCo client", e))?;
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
            .map_err(|e| Error::setup("the HTTP client for customer media", e))?;
        Ok(Self {
            context: Arc::new(Context {
                zendesk,
                sunco,
                store,
                config,
                media,
                locks: CustomerLocks::default(),
                inbox_ready: tokio::sync::Notify::new(),
                upstream_pause: crate::upstream_pause::UpstreamPause::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.context.config
    }

    /// The Zendesk client the bridge acts with (the bot agent's credentials).
    pub fn zendesk(&self) -> &zendesk_support::Client {
        &self.context.zendesk
    }

    /// The SunCo client the bridge acts with (the app key).
    pub fn sunco(&self) -> &sunshine_conversations::Client {
        &self.context.sunco
    }

    /// The link store.
    pub fn store(&self) -> &Arc<dyn LinkStore> {
        &self.context.store
    }

    /// Runs the agent-initiated flow for a ticket that is not linked yet (the caller checked
    /// the filter): links the requester to the SunCo user whose external id is their email,
    /// links the ticket to that user's thread, and delivers the ticket's public agent
    /// comments to the user's conversation. See
    /// [`starting a conversation`](crate#the-flows) for the steps.
    ///
    /// Calling it again for the same ticket reuses every link and sends nothing twice. A cold
    /// ticket costs one Zendesk read and three SunCo calls (user, conversations, message),
    /// plus one when a conversation must be created.
    ///
    /// # Errors
    /// [`Error::NoRequester`]; [`Error::NoRequesterEmail`] and [`Error::NoSunCoUser`] (after
    /// an internal note on the ticket tells the agent why, once); client and store errors.
    pub async fn handle_unhandled_ticket(&self, event: &TicketEvent) -> Result<StartOutcome> {
        starting_conversation::start(&self.context, event).await
    }

    /// Handles one Zendesk webhook request, framework-agnostic, before answering: checks the
    /// basic auth and the signature on the raw body, parses the trigger payload, then delivers
    /// a linked ticket's new agent comments (and unlinks a ticket that reached
    /// `unlink_ticket_status`), starts a conversation for an unlinked ticket the filter
    /// takes, or ignores it.
    ///
    /// # Errors
    /// [`WebhookRejection`], whose [`status`](WebhookRejection::status) is the HTTP answer.
    pub async fn handle_zendesk_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<ZendeskWebhookOutcome, WebhookRejection> {
        let answer = receiving::handle_zendesk(&self.context, headers, raw_body).await;
        crate::telemetry::webhook("zendesk", &answer);
        answer
    }

    /// Handles one SunCo webhook request, framework-agnostic, before answering: checks
    /// `X-API-Key`, parses the envelope, and turns each customer message in a linked
    /// conversation into a comment. Business messages (our own echoes) and other events are
    /// acknowledged and skipped.
    ///
    /// # Errors
    /// [`WebhookRejection`], whose [`status`](WebhookRejection::status) is the HTTP answer; a
    /// failure answers 500 so SunCo retries, and delivered messages are not repeated.
    pub async fn handle_sunco_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<Vec<SunCoEventOutcome>, WebhookRejection> {
        let answer = receiving::handle_sunco(&self.context, headers, raw_body).await;
        crate::telemetry::webhook("sunco", &answer);
        answer
    }

    /// Verifies a Zendesk webhook (basic auth, signature, payload) and records it durably for
    /// the [`InboxWorker`]; answer 200 once this returns `Ok`. One invocation of the webhook
    /// is one entry: Zendesk's retries of it, and a replay of the same request, are duplicates
    /// (nothing new is stored), while two updates of a ticket are two entries even within one
    /// second. Requests without Zendesk's invocation id header are told apart by signature.
    ///
    /// # Errors
    /// [`WebhookRejection`]: 401 for bad credentials or signature, 400 for a malformed body,
    /// 500 when the link store cannot record it (Zendesk retries).
    pub async fn accept_zendesk_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<Accepted, WebhookRejection> {
        let answer = receiving::accept_zendesk(&self.context, headers, raw_body).await;
        crate::telemetry::webhook("zendesk", &answer);
        answer
    }

    /// Verifies a SunCo webhook (`X-API-Key`, envelope) and records each of its events
    /// durably for the [`InboxWorker`], deduplicated by event id (SunCo retries for 15
    /// minutes); answer 200 once this returns `Ok`.
    ///
    /// # Errors
    /// [`WebhookRejection`]: 401 for a bad key, 400 for a malformed body, 500 when the link
    /// store cannot record it (SunCo retries).
    pub async fn accept_sunco_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<Accepted, WebhookRejection> {
        let answer = receiving::accept_sunco(&self.context, headers, raw_body).await;
        crate::telemetry::webhook("sunco", &answer);
        answer
    }

    /// A worker that processes what the `accept_*` calls recorded.
    pub fn inbox_worker(&self) -> InboxWorker {
        InboxWorker::new(Arc::clone(&self.context))
    }
}
