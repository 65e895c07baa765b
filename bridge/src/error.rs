//! The bridge's error type.

/// What went wrong in a bridge call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ticket has no requester id.
    #[error("ticket {ticket_id} has no requester")]
    NoRequester {
        /// The ticket.
        ticket_id: i64,
    },
    /// The requester has no email, so no SunCo user can be found (the agent was told by an
    /// internal note).
    #[error("the requester of ticket {ticket_id} has no email")]
    NoRequesterEmail {
        /// The ticket.
        ticket_id: i64,
    },
    /// No SunCo user has the requester's email as external id: the customer never opened
    /// the messenger while logged in (the agent was told by an internal note).
    #[error("no SunCo user has the external id of ticket {ticket_id}'s requester")]
    NoSunCoUser {
        /// The ticket.
        ticket_id: i64,
    },
    /// A Zendesk call failed.
    #[error("Zendesk call failed")]
    Zendesk(#[from] zendesk_support::Error),
    /// A SunCo call failed.
    #[error("SunCo call failed")]
    SunCo(#[from] sunshine_conversations::Error),
    /// The link store failed.
    #[error("link store failed")]
    Store(#[from] meya_links::Error),
    /// Another worker is busy with the same customer's thread and did not finish in time:
    /// try again shortly (a webhook answers 503).
    #[error("another worker holds {0}; try again shortly")]
    Busy(String),
    /// An inbox batch ran past its time budget (three quarters of its lease); what it did not
    /// finish is retried.
    #[error("the batch was cut off after {0:?}")]
    BatchTimedOut(std::time::Duration),
    /// A recorded webhook could not be read back (written by an incompatible version?).
    #[error("a recorded {0} webhook could not be read")]
    UnreadableEntry(
        /// Whose webhook: `Zendesk` or `SunCo`.
        &'static str,
        /// Why.
        #[source]
        Box<dyn std::error::Error + Send + Sync>,
    ),
    /// The bridge could not be built from its configuration.
    #[error("invalid bridge setup: {what}")]
    Setup {
        /// What could not be built.
        what: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Whether trying again later may succeed: what the Zendesk and SunCo clients call
    /// retryable (timeouts, lost connections, 429s, 5xx answers), a busy customer, the link
    /// store. Refusals that a retry cannot change (a 404, a 422, a bad setting, a file over
    /// the cap) are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Zendesk(error) => error.is_retryable(),
            Error::SunCo(error) => error.is_retryable(),
            Error::Store(error) => !matches!(error, meya_links::Error::InvalidInput { .. }),
            Error::Busy(_) | Error::BatchTimedOut(_) => true,
            _ => false,
        }
    }

    /// Whether a Zendesk or SunCo call timed out: its write may still land.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Zendesk(error) => error.is_timeout(),
            Error::SunCo(error) => error.is_timeout(),
            _ => false,
        }
    }

    /// How long Zendesk or SunCo asked the account to wait, when they answered 429 with a
    /// `Retry-After` longer than the client waits out within a call.
    pub fn rate_limited_for(&self) -> Option<std::time::Duration> {
        match self {
            Error::Zendesk(zendesk_support::Error::RateLimited { retry_after, .. })
            | Error::SunCo(sunshine_conversations::Error::RateLimited { retry_after, .. }) => {
                Some(retry_after.unwrap_or(std::time::Duration::from_secs(60)))
            }
            _ => None,
        }
    }

    /// How long Zendesk or SunCo asked to wait (`Retry-After`), when they did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::Zendesk(error) => error.retry_after(),
            Error::SunCo(error) => error.retry_after(),
            _ => None,
        }
    }

    pub(crate) fn setup(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Setup {
            what,
            source: source.into(),
        }
    }
}

/// The longest error text recorded on an entry or a delivery.
const MAX_ERROR_CHARS: usize = 2000;

/// An error and its causes on one line, bounded.
pub(crate) fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.chars().count() > MAX_ERROR_CHARS {
        text = text.chars().take(MAX_ERROR_CHARS).collect();
    }
    text
}

/// `Result` with the bridge's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
