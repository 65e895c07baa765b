//! Links and thread data on SQLite: `user_links`, `thread_links`, `threads`, `thread_data`.
//! Every write is one group-commit write (see [`group_commit`](super::group_commit)); the
//! composite steps run their statements in it, so that they are stored all or nothing.

use super::*;

/// The statements of one kind of link (users or threads); both kinds share the code below.
pub(super) struct LinkSql {
    /// The "thing" a bad internal id is reported as.
    pub(super) kind: LinkKind,
    pub(super) lookup: &'static str,
    pub(super) reverse_lookup: &'static str,
    /// Two statements sent as one (a round trip less): drops the internal id's other link in
    /// the integration (rule 2), then inserts the link or re-points the outside id (rule 1).
    pub(super) relink: &'static str,
}

pub(super) const USER_LINKS: LinkSql = LinkSql {
    kind: LinkKind::User,
    lookup: "SELECT user_id FROM user_links WHERE integration = ?1 AND integration_user_id = ?2",
    reverse_lookup: "SELECT integration_user_id FROM user_links \
                     WHERE user_id = ?1 AND integration = ?2",
    relink: "DELETE FROM user_links \
             WHERE user_id = ?1 AND integration = ?2 AND integration_user_id <> ?3; \
             INSERT INTO user_links (user_id, integration, integration_user_id) \
             VALUES (?1, ?2, ?3) \
             ON CONFLICT (integration, integration_user_id) DO UPDATE SET user_id = excluded.user_id",
};

pub(super) const THREAD_LINKS: LinkSql = LinkSql {
    kind: LinkKind::Thread,
    lookup: "SELECT thread_id FROM thread_links \
             WHERE integration = ?1 AND integration_thread_id = ?2",
    reverse_lookup: "SELECT integration_thread_id FROM thread_links \
                     WHERE thread_id = ?1 AND integration = ?2",
    relink: "DELETE FROM thread_links \
             WHERE thread_id = ?1 AND integration = ?2 AND integration_thread_id <> ?3; \
             INSERT INTO thread_links (thread_id, integration, integration_thread_id) \
             VALUES (?1, ?2, ?3) \
             ON CONFLICT (integration, integration_thread_id) \
             DO UPDATE SET thread_id = excluded.thread_id",
};

pub(super) async fn lookup_on(
    connection: &mut SqliteConnection,
    sql: &LinkSql,
    integration: &str,
    outside_id: &str,
) -> Result<Option<Uuid>> {
    let id: Option<String> = sqlx::query_scalar(sql.lookup)
        .bind(integration)
        .bind(outside_id)
        .fetch_optional(connection)
        .await?;
    id.as_deref().map(parse_uuid).transpose()
}

/// Links `outside_id` to `id` (both rules: see [`LinkSql::relink`]).
pub(super) async fn relink_on(
    connection: &mut SqliteConnection,
    sql: &LinkSql,
    integration: &str,
    outside_id: &str,
    id: &Uuid,
) -> Result<()> {
    sqlx::query(sql.relink)
        .bind(id.hyphenated().to_string())
        .bind(integration)
        .bind(outside_id)
        .execute(connection)
        .await
        .map_err(|error| foreign_key_or(error, || sql.kind.unknown(*id)))?;
    Ok(())
}

/// The user linked to `outside_id`, made and linked if there is none, in the caller's
/// transaction.
async fn identify_on(
    connection: &mut SqliteConnection,
    integration: &str,
    outside_id: &str,
    now: i64,
) -> Result<UserId> {
    // One round trip: the insert does nothing when the id is linked already (see the
    // `user_identify_requests` view in the migration), then the link is read, new or old.
    // (The select's `?2`/`?3` are the insert's: sqlx binds `?NNN` by number in each
    // statement.)
    let user: Option<String> = sqlx::query_scalar(
        "INSERT INTO user_identify_requests \
         (user_id, integration, integration_user_id, created_at_ms) \
         VALUES (?1, ?2, ?3, ?4); \
         SELECT user_id FROM user_links WHERE integration = ?2 AND integration_user_id = ?3",
    )
    .bind(UserId::new().to_string())
    .bind(integration)
    .bind(outside_id)
    .bind(now)
    .fetch_optional(&mut *connection)
    .await?;
    let user = user.ok_or_else(|| {
        Error::Backend("user_identify: the new link could not be read back".into())
    })?;
    Ok(UserId::from_uuid(parse_uuid(&user)?))
}

/// A new thread with `changes`, in one round trip: the statements are sent together (a
/// statement per data value and per link costs the writer a thread hand-off each).
async fn create_thread_with_on(
    connection: &mut SqliteConnection,
    thread: &ThreadId,
    now: i64,
    changes: &ThreadChanges,
) -> Result<()> {
    // As `apply_on` would leave it: the last primary user given wins.
    let (primary_user, data) = changes.resolved()?;
    // Plain `?` parameters, bound in the order they appear: sqlx numbers them across the
    // statements, while a `?NNN` gap in a later statement would leave its parameters unbound.
    let thread_text = thread.to_string();
    let mut sql =
        String::from("INSERT INTO threads (id, created_at_ms, primary_user_id) VALUES (?, ?, ?);");
    if !data.is_empty() {
        sql.push_str(" INSERT INTO thread_data (thread_id, key, value) VALUES ");
        sql.push_str(&vec!["(?, ?, ?)"; data.len()].join(", "));
        sql.push_str(" ON CONFLICT (thread_id, key) DO UPDATE SET value = excluded.value;");
    }
    for _ in &changes.links {
        sql.push_str(
            " DELETE FROM thread_links \
               WHERE thread_id = ? AND integration = ? AND integration_thread_id <> ?; \
             INSERT INTO thread_links (thread_id, integration, integration_thread_id) \
               VALUES (?, ?, ?) \
               ON CONFLICT (integration, integration_thread_id) \
               DO UPDATE SET thread_id = excluded.thread_id;",
        );
    }
    let mut query = sqlx::query(&sql)
        .bind(&thread_text)
        .bind(now)
        .bind(primary_user.map(|user| user.to_string()));
    for (key, value) in data {
        query = query.bind(&thread_text).bind(key).bind(value);
    }
    for (integration, outside_id) in &changes.links {
        for _ in 0..2 {
            query = query.bind(&thread_text).bind(integration).bind(outside_id);
        }
    }
    // The thread is new, so a missing reference can only be the primary user.
    query.execute(connection).await.map_err(|error| {
        foreign_key_or(error, || {
            primary_user.map_or_else(
                || Error::Backend("a new thread's row was refused".into()),
                Error::UnknownUser,
            )
        })
    })?;
    Ok(())
}

async fn set_data_on(
    connection: &mut SqliteConnection,
    thread: &ThreadId,
    key: &str,
    value: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO thread_data (thread_id, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (thread_id, key) DO UPDATE SET value = excluded.value",
    )
    .bind(thread.to_string())
    .bind(key)
    .bind(value)
    .execute(connection)
    .await
    .map_err(|error| foreign_key_or(error, || Error::UnknownThread(*thread)))?;
    Ok(())
}

async fn set_primary_user_on(
    connection: &mut SqliteConnection,
    thread: &ThreadId,
    user: &UserId,
) -> Result<()> {
    let done = sqlx::query("UPDATE threads SET primary_user_id = ?1 WHERE id = ?2")
        .bind(user.to_string())
        .bind(thread.to_string())
        .execute(connection)
        .await
        .map_err(|error| foreign_key_or(error, || Error::UnknownUser(*user)))?;
    if done.rows_affected() == 0 {
        return Err(Error::UnknownThread(*thread));
    }
    Ok(())
}

/// Stores `changes` on a thread, in the caller's transaction (which an error rolls back).
async fn apply_on(
    connection: &mut SqliteConnection,
    thread: &ThreadId,
    changes: &ThreadChanges,
) -> Result<()> {
    let (primary_user, data) = changes.resolved()?;
    if let Some(user) = &primary_user {
        set_primary_user_on(connection, thread, user).await?;
    }
    for (key, value) in data {
        set_data_on(connection, thread, key, value).await?;
    }
    for (integration, outside_id) in &changes.links {
        relink_on(
            connection,
            &THREAD_LINKS,
            integration,
            outside_id,
            thread.as_uuid(),
        )
        .await?;
    }
    Ok(())
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
        let identify = (
            integration.to_owned(),
            integration_user_id.to_owned(),
            to_millis(self.clock.now()),
        );
        self.write(identify, |(integration, outside_id, now), connection| {
            Box::pin(identify_on(connection, integration, outside_id, *now))
        })
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
        let unlink = (integration.to_owned(), integration_thread_id.to_owned());
        let thread: Option<String> = self
            .write(unlink, |(integration, outside_id), connection| {
                Box::pin(async move {
                    Ok(sqlx::query_scalar(
                        "DELETE FROM thread_links \
                         WHERE integration = ?1 AND integration_thread_id = ?2 \
                         RETURNING thread_id",
                    )
                    .bind(integration)
                    .bind(outside_id)
                    .fetch_optional(connection)
                    .await?)
                })
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
        let set = (*thread_id, key.to_owned(), value.to_owned());
        self.write(set, |(thread, key, value), connection| {
            Box::pin(set_data_on(connection, thread, key, value))
        })
        .await
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        if key == PRIMARY_USER_ID {
            let user = self.thread_primary_user(thread_id).await?;
            return Ok(user.map(|user| user.to_string()));
        }
        let mut reader = self.reader().await?;
        let value =
            sqlx::query_scalar("SELECT value FROM thread_data WHERE thread_id = ?1 AND key = ?2")
                .bind(thread_id.to_string())
                .bind(key)
                .fetch_optional(&mut *reader)
                .await;
        reader.settle(value)
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        self.write((*thread_id, *user_id), |(thread, user), connection| {
            Box::pin(set_primary_user_on(connection, thread, user))
        })
        .await
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        let mut reader = self.reader().await?;
        let user = sqlx::query_scalar("SELECT primary_user_id FROM threads WHERE id = ?1")
            .bind(thread_id.to_string())
            .fetch_optional(&mut *reader)
            .await;
        let user: Option<Option<String>> = reader.settle(user)?;
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
        let identify = (
            integration.to_owned(),
            integration_user_id.to_owned(),
            links
                .iter()
                .map(|(other, other_id)| ((*other).to_owned(), (*other_id).to_owned()))
                .collect::<Vec<_>>(),
            to_millis(self.clock.now()),
        );
        self.write(
            identify,
            |(integration, outside_id, links, now), connection| {
                Box::pin(async move {
                    let user = identify_on(connection, integration, outside_id, *now).await?;
                    for (other, other_id) in links {
                        relink_on(connection, &USER_LINKS, other, other_id, user.as_uuid()).await?;
                    }
                    Ok(user)
                })
            },
        )
        .await
    }

    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        self.write(
            (*thread_id, changes.clone()),
            |(thread, changes), connection| Box::pin(apply_on(connection, thread, changes)),
        )
        .await
    }

    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        let thread = ThreadId::new();
        let create = (thread, changes.clone(), to_millis(self.clock.now()));
        self.write(create, |(thread, changes, now), connection| {
            Box::pin(create_thread_with_on(connection, thread, *now, changes))
        })
        .await?;
        Ok(thread)
    }
}
