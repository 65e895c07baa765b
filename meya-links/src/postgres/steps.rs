//! The PostgreSQL store's writes that take several statements: linking, and the composite
//! steps ([`Links::user_identify_and_link`](crate::Links::user_identify_and_link),
//! [`ThreadChanges`]), each in one transaction.

use sqlx::PgConnection;
use sqlx::postgres::PgExecutor;
use uuid::Uuid;

use super::{LinkSql, PostgresBackend, THREAD_LINKS, USER_LINKS};
use crate::sql::foreign_key_or;
use crate::{Error, Result, ThreadChanges, ThreadId, UserId};

impl PostgresBackend {
    pub(super) async fn link(
        &self,
        sql: &LinkSql,
        integration: &str,
        outside_id: &str,
        id: &Uuid,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        relink_in(&mut tx, sql, integration, outside_id, id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn identify_and_link(
        &self,
        integration: &str,
        outside_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        // A racing caller's uncommitted link makes the insert wait for its commit, then do
        // nothing: the loser rolls back its unused user and reads the winner's. The bound only
        // guards against a misbehaving database.
        for _ in 0..3 {
            let mut tx = self.pool.begin().await?;
            let known: Option<Uuid> = sqlx::query_scalar(USER_LINKS.lookup)
                .bind(integration)
                .bind(outside_id)
                .fetch_optional(&mut *tx)
                .await?;
            let user = match known {
                Some(user) => UserId::from_uuid(user),
                None => {
                    let user = UserId::new();
                    sqlx::query("INSERT INTO users (id) VALUES ($1)")
                        .bind(user.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    let created: Option<Uuid> = sqlx::query_scalar(
                        "INSERT INTO user_links (user_id, integration, integration_user_id) \
                         VALUES ($1, $2, $3) \
                         ON CONFLICT (integration, integration_user_id) DO NOTHING \
                         RETURNING user_id",
                    )
                    .bind(user.as_uuid())
                    .bind(integration)
                    .bind(outside_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if created.is_none() {
                        tx.rollback().await?;
                        continue;
                    }
                    user
                }
            };
            for (other, other_id) in links {
                relink_in(&mut tx, &USER_LINKS, other, other_id, user.as_uuid()).await?;
            }
            tx.commit().await?;
            return Ok(user);
        }
        Err(Error::Backend(
            "user_identify did not settle after 3 rounds".into(),
        ))
    }

    pub(super) async fn apply(&self, thread: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        apply_in(&mut tx, thread, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        let thread = ThreadId::new();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO threads (id) VALUES ($1)")
            .bind(thread.as_uuid())
            .execute(&mut *tx)
            .await?;
        apply_in(&mut tx, &thread, changes).await?;
        tx.commit().await?;
        Ok(thread)
    }
}

/// Links `outside_id` to `id`, both link rules kept: the owner's row is locked so that
/// concurrent links to it take turns.
async fn relink_in(
    connection: &mut PgConnection,
    sql: &LinkSql,
    integration: &str,
    outside_id: &str,
    id: &Uuid,
) -> Result<()> {
    let owner: Option<Uuid> = sqlx::query_scalar(sql.lock_owner)
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    if owner.is_none() {
        return Err(sql.kind.unknown(*id));
    }
    sqlx::query(sql.delete_previous)
        .bind(id)
        .bind(integration)
        .bind(outside_id)
        .execute(&mut *connection)
        .await?;
    sqlx::query(sql.upsert)
        .bind(id)
        .bind(integration)
        .bind(outside_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Stores `changes` on a thread in the caller's transaction (which an error rolls back).
async fn apply_in(
    connection: &mut PgConnection,
    thread: &ThreadId,
    changes: &ThreadChanges,
) -> Result<()> {
    let (primary_user, data) = changes.resolved()?;
    if let Some(user) = &primary_user {
        set_primary_user_in(&mut *connection, thread, user).await?;
    }
    for (key, value) in data {
        set_data_in(&mut *connection, thread, key, value).await?;
    }
    for (integration, outside_id) in &changes.links {
        relink_in(
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

/// Sets a thread's data value (not [`PRIMARY_USER_ID`](crate::PRIMARY_USER_ID)).
pub(super) async fn set_data_in<'e>(
    executor: impl PgExecutor<'e>,
    thread: &ThreadId,
    key: &str,
    value: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO thread_data (thread_id, key, value) VALUES ($1, $2, $3) \
         ON CONFLICT (thread_id, key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(thread.as_uuid())
    .bind(key)
    .bind(value)
    .execute(executor)
    .await
    .map_err(|error| foreign_key_or(error, || Error::UnknownThread(*thread)))?;
    Ok(())
}

pub(super) async fn set_primary_user_in<'e>(
    executor: impl PgExecutor<'e>,
    thread: &ThreadId,
    user: &UserId,
) -> Result<()> {
    let done = sqlx::query("UPDATE threads SET primary_user_id = $1 WHERE id = $2")
        .bind(user.as_uuid())
        .bind(thread.as_uuid())
        .execute(executor)
        .await
        .map_err(|error| foreign_key_or(error, || Error::UnknownUser(*user)))?;
    if done.rows_affected() == 0 {
        return Err(Error::UnknownThread(*thread));
    }
    Ok(())
}
