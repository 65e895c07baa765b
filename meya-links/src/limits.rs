//! Size limits on what a store accepts, and the checks every backend runs before touching
//! storage, so that they all refuse the same input the same way (and none stores a row for it).

use std::time::Duration;

use crate::{Error, Result};

/// Longest integration name accepted, in bytes.
pub const MAX_INTEGRATION_LEN: usize = 128;
/// Longest outside id (an integration's user, thread or message id) accepted, in bytes.
pub const MAX_ID_LEN: usize = 1024;
/// Longest thread data key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 128;
/// Largest thread data value (or delivery failure reason) accepted, in bytes: thread data is
/// for small values such as a cached conversation id, not for payloads.
pub const MAX_VALUE_LEN: usize = 16 * 1024;
/// Largest inbox payload accepted, in bytes: a webhook body, not a file.
pub const MAX_PAYLOAD_LEN: usize = 4 * 1024 * 1024;
/// Most entries one [`inbox_take`](crate::Inbox::inbox_take) hands out.
pub const MAX_INBOX_BATCH: usize = 100;
/// Most ids one [`delivery_get_many`](crate::Deliveries::delivery_get_many) looks up.
pub const MAX_DELIVERY_LOOKUP: usize = 1000;
/// Longest lease a delivery claim may take.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

fn text(field: &'static str, value: &str, max: usize, allow_empty: bool) -> Result<()> {
    let reason = if value.is_empty() && !allow_empty {
        "must not be empty"
    } else if value.len() > max {
        "too long"
    } else if value.contains('\0') {
        "must not contain NUL bytes"
    } else {
        return Ok(());
    };
    Err(Error::InvalidInput { field, reason })
}

pub(crate) fn integration(value: &str) -> Result<()> {
    text("integration", value, MAX_INTEGRATION_LEN, false)
}

fn outside_id(field: &'static str, value: &str) -> Result<()> {
    text(field, value, MAX_ID_LEN, false)
}

/// An integration and a user's id there.
pub(crate) fn user_ref(integration_name: &str, integration_user_id: &str) -> Result<()> {
    integration(integration_name)?;
    outside_id("integration_user_id", integration_user_id)
}

/// An integration and a thread's id there.
pub(crate) fn thread_ref(integration_name: &str, integration_thread_id: &str) -> Result<()> {
    integration(integration_name)?;
    outside_id("integration_thread_id", integration_thread_id)
}

/// A delivery's key: its source (named like an integration) and the message id there.
pub(crate) fn delivery(source: &str, source_message_id: &str) -> Result<()> {
    text("source", source, MAX_INTEGRATION_LEN, false)?;
    outside_id("source_message_id", source_message_id)
}

/// One source's message ids to look up together.
pub(crate) fn deliveries(source: &str, source_message_ids: &[&str]) -> Result<()> {
    if source_message_ids.len() > MAX_DELIVERY_LOOKUP {
        return Err(Error::InvalidInput {
            field: "source_message_ids",
            reason: "more than MAX_DELIVERY_LOOKUP ids",
        });
    }
    text("source", source, MAX_INTEGRATION_LEN, false)?;
    for id in source_message_ids {
        outside_id("source_message_id", id)?;
    }
    Ok(())
}

pub(crate) fn key(value: &str) -> Result<()> {
    text("key", value, MAX_KEY_LEN, false)
}

pub(crate) fn value(field: &'static str, value: &str) -> Result<()> {
    text(field, value, MAX_VALUE_LEN, true)
}

pub(crate) fn lease(lease: Duration) -> Result<()> {
    if lease.is_zero() {
        Err(Error::InvalidInput {
            field: "lease",
            reason: "must be longer than zero",
        })
    } else if lease > MAX_LEASE {
        Err(Error::InvalidInput {
            field: "lease",
            reason: "longer than a day",
        })
    } else {
        Ok(())
    }
}

/// A message about to be pushed into the inbox.
pub(crate) fn inbox_message(message: &crate::InboxMessage) -> Result<()> {
    text("source", &message.source, MAX_INTEGRATION_LEN, false)?;
    outside_id("ordering_key", &message.ordering_key)?;
    if let Some(dedup_key) = &message.dedup_key {
        outside_id("dedup_key", dedup_key)?;
    }
    if message.payload.len() > MAX_PAYLOAD_LEN {
        return Err(Error::InvalidInput {
            field: "payload",
            reason: "too long",
        });
    }
    Ok(())
}

/// How many entries one take may hand out.
pub(crate) fn batch(max: usize) -> Result<()> {
    if max == 0 || max > MAX_INBOX_BATCH {
        return Err(Error::InvalidInput {
            field: "max_batch",
            reason: "must be between 1 and MAX_INBOX_BATCH",
        });
    }
    Ok(())
}

/// How many failed entries one call lists: as many as a batch.
pub(crate) fn list_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_INBOX_BATCH {
        return Err(Error::InvalidInput {
            field: "limit",
            reason: "must be between 1 and MAX_INBOX_BATCH",
        });
    }
    Ok(())
}

/// A retry delay: at most a day.
pub(crate) fn retry_delay(delay: Duration) -> Result<()> {
    if delay > crate::inbox::MAX_RETRY_DELAY {
        return Err(Error::InvalidInput {
            field: "delay",
            reason: "longer than a day",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_long_and_nul() {
        assert!(integration("").is_err());
        assert!(integration(&"x".repeat(MAX_INTEGRATION_LEN + 1)).is_err());
        assert!(integration(&"x".repeat(MAX_INTEGRATION_LEN)).is_ok());
        assert!(outside_id("integration_user_id", "a\0b").is_err());
        assert!(value("value", "").is_ok());
        assert!(lease(Duration::ZERO).is_err());
        assert!(lease(Duration::from_secs(30)).is_ok());
    }
}
