//! Links and thread data on SQLite: `user_links`, `thread_links`, `threads`, `thread_data`.
//! Every write is one group-commit write (see [`group_commit`](super::group_commit)); the
//! composite steps run their statements in it, so that they are stored all or nothing.

use super::*;
use crate::thread_changes::DataValue;

/// The statements of one kind of link (users or threads); both kinds share the code below.
pub(super) struct LinkSql {
    /// The "thing" a bad internal id is reported as.
    pub(super) kind: LinkKind,
    pub(super) lookup: &'static str,
    pub(super) reverse_lookup: &'static str,
    /// Drops the internal id `?1`'s other link in the integration `?2` (rule 2), the one to an
    /// outside id other than `?3`.
    pub(super) unlink_other: &'static str,
    /// Inserts the link, or re-points the outside id (rule 1).
    pub(super) link: &'static str,
}

pub(super) const USER_LINKS: LinkSql = LinkSql {
    kind: LinkKind::User,
    lookup: "SELECT user_id FROM user_links WHERE integration = ?1 AND integration_user_id = ?2",
    reverse_lookup: "SELECT integration_user_id FROM user_links \
                     WHERE user_id = ?1 AND integration = ?2",
    unlink_other: "DELETE FROM user_links \
                   WHERE user_id = ?1 AND integration = ?2 AND integration_user_id <> ?3",
    link: "INSERT INTO user_links (user_id, integration, integration_user_id) \
           VALUES (?1, ?2, ?3) \
           ON CONFLICT (integration, integration_user_id) DO UPDATE SET user_id = excluded.user_id",
};

pub(super) const THREAD_LINKS: LinkSql = LinkSql {
    kind: LinkKind::Thread,
    lookup: "SELECT thread_id FROM thread_links \
             WHERE integration = ?1 AND integration_thread_id = ?2",
    reverse_lookup: "SELECT integration_thread_id FROM thread_links \
                     WHERE thread_id = ?1 AND integration = ?2",
    unlink_other: "DELETE FROM thread_links \
                   WHERE thread_id = ?1 AND integration = ?2 AND integration_thread_id <> ?3",
    link: "INSERT INTO thread_links (thread_id, integration, integration_thread_id) \
           VALUES (?1, ?2, ?3) \
           ON CONFLICT (integration, integration_thread_id) \
           DO UPDATE SET thread_id = excluded.thread_id",
};

const SET_DATA: &str = "INSERT INTO thread_data (thread_id, key, value) VALUES (?1, ?2, ?3) \
    ON CONFLICT (thread_id, key) DO UPDATE SET value = excluded.value";

pub(super) fn lookup_on(
    connection: &Connection,
    sql: &LinkSql,
    integration: &str,
    outside_id: &str,
) -> Result<Option<Uuid>> {
    let id: Option<String> = connection
        .prepare_cached(sql.lookup)?
        .query_row(params![integration, outside_id], |row| row.get(0))
        .optional()?;
    id.as_deref().map(parse_uuid).transpose()
}

/// Links `outside_id` to `id` (both rules: see [`LinkSql`]).
pub(super) fn relink_on(
    connection: &Connection,
    sql: &LinkSql,
    integration: &str,
    outside_id: &str,
    id: &Uuid,
) -> Result<()> {
    let id_text = id.hyphenated().to_string();
    let link = params![id_text, integration, outside_id];
    connection.prepare_cached(sql.unlink_other)?.execute(link)?;
    connection
        .prepare_cached(sql.link)?
        .execute(link)
        .map_err(|error| foreign_key_or(error, || sql.kind.unknown(*id)))?;
    Ok(())
}

/// The user linked to `outside_id`, made and linked if there is none, in the caller's
/// transaction.
fn identify_on(
    connection: &Connection,
    integration: &str,
    outside_id: &str,
    now: i64,
) -> Result<UserId> {
    // The insert does nothing when the id is linked already (see the
    // `user_identify_requests` view in the migration); then the link is read, new or old.
    connection
        .prepare_cached(
            "INSERT INTO user_identify_requests \
             (user_id, integration, integration_user_id, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            UserId::new().to_string(),
            integration,
            outside_id,
            now
        ])?;
    let user = lookup_on(connection, &USER_LINKS, integration, outside_id)?.ok_or_else(|| {
        Error::Backend("user_identify: the new link could not be read back".into())
    })?;
    Ok(UserId::from_uuid(user))
}

/// A new thread with `changes`, in the caller's transaction.
fn create_thread_with_on(
    connection: &Connection,
    thread: &ThreadId,
    now: i64,
    changes: &ThreadChanges,
) -> Result<()> {
    // As `apply_on` would leave it: the last primary user given wins.
    let (primary_user, data) = changes.resolved()?;
    let thread_text = thread.to_string();
    connection
        .prepare_cached(
            "INSERT INTO threads (id, created_at_ms, primary_user_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![
            thread_text,
            now,
            primary_user.map(|user| user.to_string())
        ])
        // The thread is new, so a missing reference can only be the primary user.
        .map_err(|error| {
            foreign_key_or(error, || {
                primary_user.map_or_else(
                    || Error::Backend("a new thread's row was refused".into()),
                    Error::UnknownUser,
                )
            })
        })?;
    data_and_links_on(connection, thread, &data, changes)
}

/// A thread's data values and `changes`' links, in the caller's transaction.
fn data_and_links_on(
    connection: &Connection,
    thread: &ThreadId,
    data: &[DataValue<'_>],
    changes: &ThreadChanges,
) -> Result<()> {
    for (key, value) in data {
        set_data_on(connection, thread, key, value)?;
    }
    for (integration, outside_id) in &changes.links {
        relink_on(
            connection,
            &THREAD_LINKS,
            integration,
            outside_id,
            thread.as_uuid(),
        )?;
    }
    Ok(())
}

fn set_data_on(connection: &Connection, thread: &ThreadId, key: &str, value: &str) -> Result<()> {
    connection
        .prepare_cached(SET_DATA)?
        .execute(params![thread.to_string(), key, value])
        .map_err(|error| foreign_key_or(error, || Error::UnknownThread(*thread)))?;
    Ok(())
}

fn set_primary_user_on(connection: &Connection, thread: &ThreadId, user: &UserId) -> Result<()> {
    let done = connection
        .prepare_cached("UPDATE threads SET primary_user_id = ?1 WHERE id = ?2")?
        .execute(params![user.to_string(), thread.to_string()])
        .map_err(|error| foreign_key_or(error, || Error::UnknownUser(*user)))?;
    if done == 0 {
        return Err(Error::UnknownThread(*thread));
    }
    Ok(())
}

/// Stores `changes` on a thread, in the caller's transaction (which an error rolls back).
fn apply_on(connection: &Connection, thread: &ThreadId, changes: &ThreadChanges) -> Result<()> {
    let (primary_user, data) = changes.resolved()?;
    if let Some(user) = &primary_user {
        set_primary_user_on(connection, thread, user)?;
    }
    data_and_links_on(connection, thread, &data, changes)
}

#[async_trait]
impl Links for SqliteBackend {
    async fn user_try_lookup(
        &self,
        integration: &str,
        integration_user_id: &str,
    ) -> Result<Option<UserId>> {
        let id = self
            .lookup(&USER_LINKS, integration, integration_user_id)
            .await?;
        Ok(id.map(UserId::from_uuid))
    }

    async fn user_try_reverse_lookup(
        &self,
        user_id: &UserId,
        integration: &str,
    ) -> Result<Option<String>> {
        self.reverse_lookup(&USER_LINKS, user_id.as_uuid(), integration)
            .await
    }

    async fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId> {
        if let Some(user) = self
            .user_try_lookup(integration, integration_user_id)
            .await?
        {
            return Ok(user);
        }
        let (integration, outside_id) = (integration.to_owned(), integration_user_id.to_owned());
        let now = to_millis(self.clock.now());
        self.write(move |connection| identify_on(connection, &integration, &outside_id, now))
            .await
    }

    async fn user_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        user_id: &UserId,
    ) -> Result<()> {
        self.link(
            &USER_LINKS,
            integration,
            integration_user_id,
            user_id.as_uuid(),
        )
        .await
    }

    async fn thread_try_lookup(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        let id = self
            .lookup(&THREAD_LINKS, integration, integration_thread_id)
            .await?;
        Ok(id.map(ThreadId::from_uuid))
    }

    async fn thread_try_reverse_lookup(
        &self,
        thread_id: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>> {
        self.reverse_lookup(&THREAD_LINKS, thread_id.as_uuid(), integration)
            .await
    }

    async fn thread_create(&self) -> Result<ThreadId> {
        self.thread_create_with(&ThreadChanges::new()).await
    }

    async fn thread_link(
        &self,
        integration: &str,
        integration_thread_id: &str,
        thread_id: &ThreadId,
    ) -> Result<()> {
        self.link(
            &THREAD_LINKS,
            integration,
            integration_thread_id,
            thread_id.as_uuid(),
        )
        .await
    }

    async fn thread_unlink(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        let (integration, outside_id) = (integration.to_owned(), integration_thread_id.to_owned());
        let thread: Option<String> = self
            .write(move |connection| {
                Ok(connection
                    .prepare_cached(
                        "DELETE FROM thread_links \
                         WHERE integration = ?1 AND integration_thread_id = ?2 \
                         RETURNING thread_id",
                    )?
                    .query_row(params![integration, outside_id], |row| row.get(0))
                    .optional()?)
            })
            .await?;
        thread
            .as_deref()
            .map(|text| parse_uuid(text).map(ThreadId::from_uuid))
            .transpose()
    }

    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()> {
        if key == PRIMARY_USER_ID {
            return self
                .thread_set_primary_user(thread_id, &value.parse()?)
                .await;
        }
        let (thread, key, value) = (*thread_id, key.to_owned(), value.to_owned());
        self.write(move |connection| set_data_on(connection, &thread, &key, &value))
            .await
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        if key == PRIMARY_USER_ID {
            let user = self.thread_primary_user(thread_id).await?;
            return Ok(user.map(|user| user.to_string()));
        }
        let (thread, key) = (thread_id.to_string(), key.to_owned());
        self.read(move |connection| {
            Ok(connection
                .prepare_cached("SELECT value FROM thread_data WHERE thread_id = ?1 AND key = ?2")?
                .query_row(params![thread, key], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        let (thread, user) = (*thread_id, *user_id);
        self.write(move |connection| set_primary_user_on(connection, &thread, &user))
            .await
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        let thread = thread_id.to_string();
        let user: Option<Option<String>> = self
            .read(move |connection| {
                Ok(connection
                    .prepare_cached("SELECT primary_user_id FROM threads WHERE id = ?1")?
                    .query_row(params![thread], |row| row.get(0))
                    .optional()?)
            })
            .await?;
        user.flatten()
            .as_deref()
            .map(|text| parse_uuid(text).map(UserId::from_uuid))
            .transpose()
    }

    async fn user_identify_and_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        let (integration, outside_id) = (integration.to_owned(), integration_user_id.to_owned());
        let links: Vec<(String, String)> = links
            .iter()
            .map(|(other, other_id)| ((*other).to_owned(), (*other_id).to_owned()))
            .collect();
        let now = to_millis(self.clock.now());
        self.write(move |connection| {
            let user = identify_on(connection, &integration, &outside_id, now)?;
            for (other, other_id) in &links {
                relink_on(connection, &USER_LINKS, other, other_id, user.as_uuid())?;
            }
            Ok(user)
        })
        .await
    }

    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        let (thread, changes) = (*thread_id, changes.clone());
        self.write(move |connection| apply_on(connection, &thread, &changes))
            .await
    }

    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        let thread = ThreadId::new();
        let (changes, now) = (changes.clone(), to_millis(self.clock.now()));
        self.write(move |connection| create_thread_with_on(connection, &thread, now, &changes))
            .await?;
        Ok(thread)
    }
}
