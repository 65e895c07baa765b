//! The delivery cases: claims, leases, completion, failure, races.

use super::*;

pub async fn delivery_lifecycle_delivers_once(site: &dyn StoreSite) {
    let store = site.open().await;
    let claim = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    assert_eq!(claim.source(), ZD);
    assert_eq!(claim.source_message_id(), "c-1");
    assert_eq!(claim.attempt(), 1);
    assert!(claim.lease_until() > site.clock().now());
    match store.delivery_claim(ZD, "c-1", LEASE).await.unwrap() {
        ClaimOutcome::InProgress { lease_until } => {
            assert!(lease_until > site.clock().now())
        }
        other => panic!("a second claim must wait, got {other:?}"),
    }
    let delivery = store.delivery_get(ZD, "c-1").await.unwrap().unwrap();
    assert!(matches!(delivery.state, DeliveryState::Claimed { .. }));
    assert_eq!(delivery.attempts, 1);

    store.delivery_complete(&claim, "m-1").await.unwrap();
    let delivery = store.delivery_get(ZD, "c-1").await.unwrap().unwrap();
    assert_eq!(
        delivery.state,
        DeliveryState::Delivered {
            target_message_id: "m-1".into()
        }
    );
    assert_eq!(
        store.delivery_claim(ZD, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::Delivered {
            target_message_id: "m-1".into()
        }
    );
    // A finished claim cannot be finished again, nor renewed.
    let error = store.delivery_complete(&claim, "m-2").await.unwrap_err();
    assert!(matches!(error, Error::ClaimLost { .. }), "{error:?}");
    let mut stale = claim.clone();
    assert!(matches!(
        store.delivery_renew(&mut stale, LEASE).await,
        Err(Error::ClaimLost { .. })
    ));
    assert!(matches!(
        store.delivery_fail(&claim, "x").await,
        Err(Error::ClaimLost { .. })
    ));
    // Sources are separate namespaces.
    assert!(matches!(
        store.delivery_claim(SC, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::Claimed(_)
    ));
}

pub async fn delivery_fail_is_final(site: &dyn StoreSite) {
    let store = site.open().await;
    let claim = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    store
        .delivery_fail(&claim, "attachment too large")
        .await
        .unwrap();
    assert_eq!(
        store.delivery_claim(ZD, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::Failed {
            reason: "attachment too large".into()
        }
    );
    let delivery = store.delivery_get(ZD, "c-1").await.unwrap().unwrap();
    assert_eq!(
        delivery.state,
        DeliveryState::Failed {
            reason: "attachment too large".into()
        }
    );
}

pub async fn delivery_release_allows_an_immediate_retry(site: &dyn StoreSite) {
    let store = site.open().await;
    let first = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    store.delivery_release(&first).await.unwrap();
    let second = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    assert_eq!(second.attempt(), 2);
    assert!(matches!(
        store.delivery_complete(&first, "m-1").await,
        Err(Error::ClaimLost { .. })
    ));
    store.delivery_complete(&second, "m-2").await.unwrap();
    assert_eq!(
        store.delivery_claim(ZD, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::Delivered {
            target_message_id: "m-2".into()
        }
    );
}

/// A crashed worker's claim expires and another handle takes it over.
pub async fn delivery_expired_lease_is_taken_over(site: &dyn StoreSite) {
    let crashed = site.open().await;
    let survivor = site.open().await;
    let stale = claimed(
        crashed
            .delivery_claim(ZD, "c-1", Duration::from_millis(50))
            .await
            .unwrap(),
    );
    site.clock().advance(Duration::from_millis(150));
    let fresh = claimed(survivor.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    assert_eq!(fresh.attempt(), 2);
    // The crashed worker, back, cannot record its stale outcome.
    assert!(matches!(
        crashed.delivery_complete(&stale, "m-stale").await,
        Err(Error::ClaimLost { .. })
    ));
    survivor.delivery_complete(&fresh, "m-1").await.unwrap();
    assert_eq!(
        crashed
            .delivery_get(ZD, "c-1")
            .await
            .unwrap()
            .unwrap()
            .state,
        DeliveryState::Delivered {
            target_message_id: "m-1".into()
        }
    );
}

pub async fn delivery_renew_keeps_the_claim(site: &dyn StoreSite) {
    let store = site.open().await;
    let mut claim = claimed(
        store
            .delivery_claim(ZD, "c-1", Duration::from_millis(100))
            .await
            .unwrap(),
    );
    let before = claim.lease_until();
    store.delivery_renew(&mut claim, LEASE).await.unwrap();
    assert!(claim.lease_until() > before + Duration::from_secs(10));
    site.clock().advance(Duration::from_millis(200));
    assert!(matches!(
        store.delivery_claim(ZD, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::InProgress { .. }
    ));
    store.delivery_complete(&claim, "m-1").await.unwrap();
}

/// 32 tasks on two handles claim one delivery at once: exactly one wins.
pub async fn delivery_claim_race_has_one_winner(site: &dyn StoreSite) {
    let handles = [site.open().await, site.open().await];
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..32 {
        let store = Arc::clone(&handles[n % 2]);
        tasks.spawn(async move { store.delivery_claim(ZD, "c-race", LEASE).await });
    }
    let mut winners = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap().unwrap() {
            ClaimOutcome::Claimed(_) => winners += 1,
            ClaimOutcome::InProgress { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
}

pub async fn delivery_invalid_input_is_refused(site: &dyn StoreSite) {
    let store = site.open().await;
    for (source, id) in [("", "c-1"), (ZD, ""), (ZD, "nul\0")] {
        assert!(matches!(
            store.delivery_claim(source, id, LEASE).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    assert!(matches!(
        store.delivery_claim(ZD, "c-1", Duration::ZERO).await,
        Err(Error::InvalidInput { field: "lease", .. })
    ));
    assert!(matches!(
        store
            .delivery_claim(ZD, "c-1", Duration::from_secs(2 * 24 * 3600))
            .await,
        Err(Error::InvalidInput { field: "lease", .. })
    ));
    assert_eq!(store.delivery_get(ZD, "c-1").await.unwrap(), None);
    let claim = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    assert!(matches!(
        store.delivery_complete(&claim, "bad\0id").await,
        Err(Error::InvalidInput { .. })
    ));
    // The refused completion left the claim live.
    store.delivery_complete(&claim, "m-1").await.unwrap();
}

pub async fn delivery_get_many_reads_what_single_reads_read(site: &dyn StoreSite) {
    let store = site.open().await;
    assert_eq!(store.delivery_get_many(ZD, &[]).await.unwrap(), vec![]);
    let delivered = claimed(store.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    store.delivery_complete(&delivered, "m-1").await.unwrap();
    let failed = claimed(store.delivery_claim(ZD, "c-2", LEASE).await.unwrap());
    store.delivery_fail(&failed, "refused").await.unwrap();
    claimed(store.delivery_claim(ZD, "c-3", LEASE).await.unwrap());
    // Another source's record of the same id is not this source's.
    claimed(store.delivery_claim(SC, "c-4", LEASE).await.unwrap());
    let odd = "ids with \"quotes\", commas, ünïcode and [brackets]";
    claimed(store.delivery_claim(ZD, odd, LEASE).await.unwrap());

    let asked = ["c-3", "c-1", "c-4", "c-2", "c-1", "missing", odd];
    let mut many = store.delivery_get_many(ZD, &asked).await.unwrap();
    many.sort_by(|a, b| a.source_message_id.cmp(&b.source_message_id));
    let mut single = Vec::new();
    for id in ["c-1", "c-2", "c-3", odd] {
        single.push(store.delivery_get(ZD, id).await.unwrap().unwrap());
    }
    single.sort_by(|a, b| a.source_message_id.cmp(&b.source_message_id));
    assert_eq!(many, single, "each known id once, as delivery_get reads it");
    assert!(matches!(
        &many[0].state,
        DeliveryState::Delivered { target_message_id } if target_message_id == "m-1"
    ));
    assert!(many.iter().all(|delivery| delivery.source == ZD));

    let too_many: Vec<String> = (0..=crate::limits::MAX_DELIVERY_LOOKUP)
        .map(|n| n.to_string())
        .collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert!(matches!(
        store.delivery_get_many(ZD, &too_many).await,
        Err(Error::InvalidInput { .. })
    ));
    let most = &too_many[..crate::limits::MAX_DELIVERY_LOOKUP];
    assert_eq!(store.delivery_get_many(ZD, most).await.unwrap(), vec![]);
    for bad in ["", "nul\0"] {
        assert!(matches!(
            store.delivery_get_many(ZD, &["c-1", bad]).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    assert!(matches!(
        store.delivery_get_many("", &["c-1"]).await,
        Err(Error::InvalidInput { .. })
    ));
}
