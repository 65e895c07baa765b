//! [`Context`]: what the flows work with, shared by a [`Bridge`](crate::Bridge), its
//! clones and its inbox workers.

use std::fmt;
use std::sync::Arc;

use meya_links::LinkStore;

use crate::config::Config;
use crate::customer_lock::CustomerLocks;
use crate::media::MediaFetcher;

/// The two clients, the link store, the settings, and the process-wide pieces the flows
/// share: the media fetcher, the customer locks and the signal that wakes an idle worker.
pub(crate) struct Context {
    /// Acts as the bot agent.
    pub(crate) zendesk: zendesk_support::Client,
    /// Acts with the app key.
    pub(crate) sunco: sunshine_conversations::Client,
    pub(crate) store: Arc<dyn LinkStore>,
    pub(crate) config: Config,
    /// Fetches customer media, only from SunCo's media hosts.
    pub(crate) media: MediaFetcher,
    /// One customer's work, one worker at a time.
    pub(crate) locks: CustomerLocks,
    /// Wakes an idle inbox worker of this process when an `accept_*` call records work.
    pub(crate) inbox_ready: tokio::sync::Notify,
    /// Holds the inbox worker back while Zendesk or SunCo asked the account to wait.
    pub(crate) upstream_pause: crate::upstream_pause::UpstreamPause,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("zendesk", &self.zendesk)
            .field("sunco", &self.sunco)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
