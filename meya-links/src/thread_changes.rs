//! [`ThreadChanges`]: what one step of a flow writes to a thread, stored at once.

use crate::{PRIMARY_USER_ID, Result, UserId};

/// A data value to set: `(key, value)`.
pub(crate) type DataValue<'a> = (&'a str, &'a str);

/// Changes to one thread, stored together by [`Links::thread_create_with`] and
/// [`Links::thread_apply`]: the primary user, then the data, then the links.
///
/// The stores of this crate store them in one transaction: all of them or, on an error, none.
/// A backend that keeps the traits' default methods stores them one after the other in that
/// order, stopping at the first error; the links come last so that whoever finds the thread
/// through a link finds it complete.
///
/// [`Links::thread_create_with`]: crate::Links::thread_create_with
/// [`Links::thread_apply`]: crate::Links::thread_apply
///
/// ```
/// # async fn demo() -> meya_links::Result<()> {
/// use meya_links::{Links, MemoryStore, ThreadChanges};
///
/// let store = MemoryStore::new();
/// let user = store.user_identify("sunshine_conversations", "5963c0d619a30a2e00de36b8").await?;
/// let thread = store
///     .thread_create_with(
///         &ThreadChanges::new()
///             .primary_user(user)
///             .set("mode", "agent")
///             .link("sunshine_conversations", "5963c0d619a30a2e00de36b8")
///             .link("zendesk.support", "1234"),
///     )
///     .await?;
/// assert_eq!(store.thread_try_lookup("zendesk.support", "1234").await?, Some(thread));
/// assert_eq!(store.thread_get(&thread, "mode").await?.as_deref(), Some("agent"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadChanges {
    /// The thread's new primary user, if it changes.
    pub primary_user: Option<UserId>,
    /// Data values to set, `(key, value)`, in order (as [`Links::thread_set`](crate::Links::thread_set)).
    pub data: Vec<(String, String)>,
    /// Links to make, `(integration, integration thread id)`, in order (as
    /// [`Links::thread_link`](crate::Links::thread_link)).
    pub links: Vec<(String, String)>,
}

impl ThreadChanges {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the primary user.
    pub fn primary_user(mut self, user: UserId) -> Self {
        self.primary_user = Some(user);
        self
    }

    /// Sets a data value.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.push((key.into(), value.into()));
        self
    }

    /// Links an integration's thread id to the thread.
    pub fn link(
        mut self,
        integration: impl Into<String>,
        integration_thread_id: impl Into<String>,
    ) -> Self {
        self.links
            .push((integration.into(), integration_thread_id.into()));
        self
    }

    /// The primary user the changes leave (a [`PRIMARY_USER_ID`] data value sets it too, the
    /// last one given winning), and the other data values in order.
    pub(crate) fn resolved(&self) -> Result<(Option<UserId>, Vec<DataValue<'_>>)> {
        let mut primary_user = self.primary_user;
        let mut data = Vec::with_capacity(self.data.len());
        for (key, value) in &self.data {
            if key == PRIMARY_USER_ID {
                primary_user = Some(value.parse()?);
            } else {
                data.push((key.as_str(), value.as_str()));
            }
        }
        Ok((primary_user, data))
    }

    /// Whether there is nothing to store.
    pub fn is_empty(&self) -> bool {
        self.primary_user.is_none() && self.data.is_empty() && self.links.is_empty()
    }
}
