//! Delivery records on SQLite: one claim at a time per message, leases, completion.

use super::*;

#[async_trait]
impl Deliveries for SqliteBackend {
    async fn delivery_claim(
        &self,
        source: &str,
        source_message_id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome> {
        let now = to_millis(self.clock.now());
        let lease_until_ms = now.saturating_add(lease_millis(lease));
        let token = Uuid::new_v4();
        let (source, message_id) = (source.to_owned(), source_message_id.to_owned());
        // One statement, atomic on its own; a refusal reads the reason in the same
        // transaction, so that the reason agrees with the refused claim.
        self.write(move |connection| {
            let attempts: Option<i64> = connection
                .prepare_cached(CLAIM)?
                .query_row(
                    params![
                        source,
                        message_id,
                        token.hyphenated().to_string(),
                        lease_until_ms,
                        now
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(attempts) = attempts else {
                return connection
                    .prepare_cached(SELECT_DELIVERY)?
                    .query_row(params![source, message_id], DeliveryRow::from_sqlite)?
                    .into_delivery(&source, &message_id)
                    .map(|delivery| delivery.refusal());
            };
            Ok(ClaimOutcome::Claimed(DeliveryClaim {
                source: source.clone(),
                source_message_id: message_id.clone(),
                token,
                attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                lease_until: from_millis(lease_until_ms),
            }))
        })
        .await
    }

    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()> {
        let lease_until_ms = to_millis(self.clock.now()).saturating_add(lease_millis(lease));
        self.finish_claim(claim, STATE_CLAIMED, lease_until_ms, None, None)
            .await?;
        claim.lease_until = from_millis(lease_until_ms);
        Ok(())
    }

    async fn delivery_complete(
        &self,
        claim: &DeliveryClaim,
        target_message_id: &str,
    ) -> Result<()> {
        self.finish_claim(claim, STATE_DELIVERED, 0, Some(target_message_id), None)
            .await
    }

    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()> {
        self.finish_claim(claim, STATE_FAILED, 0, None, Some(reason))
            .await
    }

    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()> {
        self.finish_claim(claim, STATE_CLAIMED, 0, None, None).await
    }

    async fn delivery_get(
        &self,
        source: &str,
        source_message_id: &str,
    ) -> Result<Option<Delivery>> {
        let (key_source, key_id) = (source.to_owned(), source_message_id.to_owned());
        let row = self
            .read(move |connection| {
                Ok(connection
                    .prepare_cached(SELECT_DELIVERY)?
                    .query_row(params![key_source, key_id], DeliveryRow::from_sqlite)
                    .optional()?)
            })
            .await?;
        row.map(|row| row.into_delivery(source, source_message_id))
            .transpose()
    }

    async fn delivery_get_many(
        &self,
        source: &str,
        source_message_ids: &[&str],
    ) -> Result<Vec<Delivery>> {
        // The ids go in as one JSON array, so that one cached statement serves any count.
        let ids = serde_json::to_string(source_message_ids)
            .map_err(|error| Error::Backend(error.into()))?;
        let key_source = source.to_owned();
        let rows = self
            .read(move |connection| {
                let mut statement = connection.prepare_cached(SELECT_DELIVERIES)?;
                let rows = statement.query_map(params![key_source, ids], |row| {
                    Ok((row.get::<_, String>(5)?, DeliveryRow::from_sqlite(row)?))
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?;
        rows.into_iter()
            .map(|(id, row)| row.into_delivery(source, &id))
            .collect()
    }
}
