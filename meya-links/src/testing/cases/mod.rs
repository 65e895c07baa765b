//! The links cases (users, threads, thread data, races) and the abandoned-calls case; the
//! deliveries and the inbox have files of their own.

use super::*;
use crate::{ClaimOutcome, Clock, DeliveryState, Error, PRIMARY_USER_ID, ThreadId, UserId};

mod deliveries;
mod inbox;
mod steps;
pub use deliveries::*;
pub use inbox::*;
pub use steps::*;

const ZD: &str = crate::ZENDESK_SUPPORT;
const SC: &str = crate::SUNSHINE_CONVERSATIONS;
const LEASE: Duration = Duration::from_secs(30);

fn claimed(outcome: ClaimOutcome) -> crate::DeliveryClaim {
    match outcome {
        ClaimOutcome::Claimed(claim) => claim,
        other => panic!("expected a claim, got {other:?}"),
    }
}

pub async fn lookups_on_an_empty_store_find_nothing(site: &dyn StoreSite) {
    let store = site.open().await;
    assert_eq!(store.user_try_lookup(ZD, "1").await.unwrap(), None);
    assert_eq!(
        store
            .user_try_reverse_lookup(&UserId::new(), SC)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.thread_try_lookup(ZD, "1").await.unwrap(), None);
    assert_eq!(
        store
            .thread_try_reverse_lookup(&ThreadId::new(), ZD)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.thread_unlink(ZD, "1").await.unwrap(), None);
    assert_eq!(store.thread_get(&ThreadId::new(), "k").await.unwrap(), None);
    assert_eq!(
        store.thread_primary_user(&ThreadId::new()).await.unwrap(),
        None
    );
    assert_eq!(store.delivery_get(ZD, "1").await.unwrap(), None);
}

pub async fn user_identify_gets_or_creates(site: &dyn StoreSite) {
    let store = site.open().await;
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    assert_eq!(store.user_identify(SC, "sc-alice").await.unwrap(), alice);
    let bob = store.user_identify(SC, "sc-bob").await.unwrap();
    assert_ne!(alice, bob);
    // Integrations are separate namespaces.
    let other = store.user_identify(ZD, "sc-alice").await.unwrap();
    assert_ne!(other, alice);
    assert_eq!(
        store.user_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        store
            .user_try_reverse_lookup(&alice, SC)
            .await
            .unwrap()
            .as_deref(),
        Some("sc-alice")
    );
    assert_eq!(
        store.user_try_reverse_lookup(&alice, ZD).await.unwrap(),
        None
    );
    // Outside ids are compared exactly: case and spaces matter.
    assert_eq!(store.user_try_lookup(SC, "SC-ALICE").await.unwrap(), None);
    assert_eq!(store.user_try_lookup(SC, "sc-alice ").await.unwrap(), None);
    // Unusual but valid ids round-trip.
    let email = "jane.doe+vip@example.com";
    let jane = store.user_identify(ZD, email).await.unwrap();
    assert_eq!(
        store
            .user_try_reverse_lookup(&jane, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some(email)
    );
    let unicode = "ユーザー'; DROP TABLE users; --";
    let odd = store.user_identify(ZD, unicode).await.unwrap();
    assert_eq!(store.user_try_lookup(ZD, unicode).await.unwrap(), Some(odd));
}

pub async fn user_link_links_and_relinks(site: &dyn StoreSite) {
    let store = site.open().await;
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    store.user_link(ZD, "101", &alice).await.unwrap();
    assert_eq!(store.user_try_lookup(ZD, "101").await.unwrap(), Some(alice));
    assert_eq!(
        store
            .user_try_reverse_lookup(&alice, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("101")
    );
    // Linking the same pair again changes nothing.
    store.user_link(ZD, "101", &alice).await.unwrap();
    assert_eq!(store.user_try_lookup(ZD, "101").await.unwrap(), Some(alice));

    // Rule 2: a user has one id per integration; a new one replaces the old.
    store.user_link(ZD, "102", &alice).await.unwrap();
    assert_eq!(store.user_try_lookup(ZD, "101").await.unwrap(), None);
    assert_eq!(store.user_try_lookup(ZD, "102").await.unwrap(), Some(alice));
    assert_eq!(
        store
            .user_try_reverse_lookup(&alice, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("102")
    );

    // Rule 1: an outside id points at one user; linking it again re-points it.
    let bob = store.user_identify(SC, "sc-bob").await.unwrap();
    store.user_link(ZD, "102", &bob).await.unwrap();
    assert_eq!(store.user_try_lookup(ZD, "102").await.unwrap(), Some(bob));
    assert_eq!(
        store.user_try_reverse_lookup(&alice, ZD).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .user_try_reverse_lookup(&bob, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("102")
    );
    // The users' other links are untouched.
    assert_eq!(
        store.user_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        store.user_try_lookup(SC, "sc-bob").await.unwrap(),
        Some(bob)
    );
}

pub async fn user_link_to_an_unknown_user_is_refused(site: &dyn StoreSite) {
    let store = site.open().await;
    let stranger = UserId::new();
    let error = store.user_link(ZD, "101", &stranger).await.unwrap_err();
    assert!(
        matches!(error, Error::UnknownUser(id) if id == stranger),
        "{error:?}"
    );
    assert_eq!(store.user_try_lookup(ZD, "101").await.unwrap(), None);
    // A failed link leaves an existing link alone.
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    store.user_link(ZD, "101", &alice).await.unwrap();
    assert!(store.user_link(ZD, "101", &stranger).await.is_err());
    assert_eq!(store.user_try_lookup(ZD, "101").await.unwrap(), Some(alice));
}

pub async fn thread_links_follow_both_rules(site: &dyn StoreSite) {
    let store = site.open().await;
    let thread = store.thread_create().await.unwrap();
    let other = store.thread_create().await.unwrap();
    assert_ne!(thread, other);
    store.thread_link(SC, "sc-alice", &thread).await.unwrap();
    store.thread_link(ZD, "4001", &thread).await.unwrap();
    assert_eq!(
        store.thread_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store.thread_try_lookup(ZD, "4001").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store
            .thread_try_reverse_lookup(&thread, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("4001")
    );

    // A new ticket on the thread unlinks the previous ticket.
    store.thread_link(ZD, "4002", &thread).await.unwrap();
    assert_eq!(store.thread_try_lookup(ZD, "4001").await.unwrap(), None);
    assert_eq!(
        store.thread_try_lookup(ZD, "4002").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store
            .thread_try_reverse_lookup(&thread, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("4002")
    );

    // A ticket moved to another thread leaves the first.
    store.thread_link(ZD, "4002", &other).await.unwrap();
    assert_eq!(
        store.thread_try_lookup(ZD, "4002").await.unwrap(),
        Some(other)
    );
    assert_eq!(
        store.thread_try_reverse_lookup(&thread, ZD).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .thread_try_reverse_lookup(&thread, SC)
            .await
            .unwrap()
            .as_deref(),
        Some("sc-alice")
    );
}

pub async fn thread_unlink_removes_only_that_link(site: &dyn StoreSite) {
    let store = site.open().await;
    let thread = store.thread_create().await.unwrap();
    store.thread_link(SC, "sc-alice", &thread).await.unwrap();
    store.thread_link(ZD, "4001", &thread).await.unwrap();
    store
        .thread_set(&thread, "conversation_id", "conv-1")
        .await
        .unwrap();

    assert_eq!(store.thread_unlink(ZD, "4001").await.unwrap(), Some(thread));
    assert_eq!(store.thread_unlink(ZD, "4001").await.unwrap(), None);
    assert_eq!(store.thread_try_lookup(ZD, "4001").await.unwrap(), None);
    assert_eq!(
        store.thread_try_reverse_lookup(&thread, ZD).await.unwrap(),
        None
    );
    // The thread, its other links and its data stay.
    assert_eq!(
        store.thread_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store
            .thread_get(&thread, "conversation_id")
            .await
            .unwrap()
            .as_deref(),
        Some("conv-1")
    );
    // And it can be linked to a new ticket.
    store.thread_link(ZD, "4002", &thread).await.unwrap();
    assert_eq!(
        store.thread_try_lookup(ZD, "4002").await.unwrap(),
        Some(thread)
    );
}

pub async fn thread_link_to_an_unknown_thread_is_refused(site: &dyn StoreSite) {
    let store = site.open().await;
    let stranger = ThreadId::new();
    let error = store.thread_link(ZD, "4001", &stranger).await.unwrap_err();
    assert!(
        matches!(error, Error::UnknownThread(id) if id == stranger),
        "{error:?}"
    );
    assert_eq!(store.thread_try_lookup(ZD, "4001").await.unwrap(), None);
}

pub async fn thread_data_is_per_thread_and_key(site: &dyn StoreSite) {
    let store = site.open().await;
    let one = store.thread_create().await.unwrap();
    let two = store.thread_create().await.unwrap();
    store
        .thread_set(&one, "conversation_id", "conv-1")
        .await
        .unwrap();
    store.thread_set(&one, "mode", "agent").await.unwrap();
    store
        .thread_set(&two, "conversation_id", "conv-2")
        .await
        .unwrap();
    assert_eq!(
        store
            .thread_get(&one, "conversation_id")
            .await
            .unwrap()
            .as_deref(),
        Some("conv-1")
    );
    assert_eq!(
        store
            .thread_get(&two, "conversation_id")
            .await
            .unwrap()
            .as_deref(),
        Some("conv-2")
    );
    assert_eq!(store.thread_get(&two, "mode").await.unwrap(), None);
    // Overwrite, and the empty string is a value, not an absence.
    store.thread_set(&one, "mode", "").await.unwrap();
    assert_eq!(
        store.thread_get(&one, "mode").await.unwrap().as_deref(),
        Some("")
    );
    let long = "v".repeat(crate::limits::MAX_VALUE_LEN);
    store.thread_set(&one, "long", &long).await.unwrap();
    assert_eq!(store.thread_get(&one, "long").await.unwrap(), Some(long));

    let stranger = ThreadId::new();
    let error = store
        .thread_set(&stranger, "mode", "agent")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnknownThread(_)), "{error:?}");
    assert_eq!(store.thread_get(&stranger, "mode").await.unwrap(), None);
}

pub async fn primary_user_is_typed(site: &dyn StoreSite) {
    let store = site.open().await;
    let thread = store.thread_create().await.unwrap();
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    let bob = store.user_identify(SC, "sc-bob").await.unwrap();
    assert_eq!(store.thread_primary_user(&thread).await.unwrap(), None);
    assert_eq!(
        store.thread_get(&thread, PRIMARY_USER_ID).await.unwrap(),
        None
    );

    store
        .thread_set_primary_user(&thread, &alice)
        .await
        .unwrap();
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        store.thread_get(&thread, PRIMARY_USER_ID).await.unwrap(),
        Some(alice.to_string())
    );
    // Meya's `thread_set: primary_user_id: ...` is the same typed value.
    store
        .thread_set(&thread, PRIMARY_USER_ID, &bob.to_string())
        .await
        .unwrap();
    assert_eq!(store.thread_primary_user(&thread).await.unwrap(), Some(bob));

    let error = store
        .thread_set(&thread, PRIMARY_USER_ID, "not-a-user")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    let stranger = UserId::new();
    let error = store
        .thread_set_primary_user(&thread, &stranger)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UnknownUser(id) if id == stranger),
        "{error:?}"
    );
    let error = store
        .thread_set_primary_user(&ThreadId::new(), &alice)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnknownThread(_)), "{error:?}");
    // Refusals changed nothing.
    assert_eq!(store.thread_primary_user(&thread).await.unwrap(), Some(bob));
}

pub async fn invalid_input_is_refused_and_stores_nothing(site: &dyn StoreSite) {
    let store = site.open().await;
    let thread = store.thread_create().await.unwrap();
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    let too_long = "x".repeat(crate::limits::MAX_ID_LEN + 1);
    let bad_ids = ["", "nul\0byte", too_long.as_str()];
    for bad in bad_ids {
        let invalid = |result: Result<(), Error>| {
            assert!(
                matches!(result, Err(Error::InvalidInput { .. })),
                "{bad:?}: {result:?}"
            );
        };
        invalid(store.user_identify(SC, bad).await.map(drop));
        invalid(store.user_identify(bad, "sc-bob").await.map(drop));
        invalid(store.user_link(ZD, bad, &alice).await);
        invalid(store.user_link(bad, "101", &alice).await);
        invalid(store.user_try_lookup(bad, "101").await.map(drop));
        invalid(store.user_try_lookup(ZD, bad).await.map(drop));
        invalid(store.user_try_reverse_lookup(&alice, bad).await.map(drop));
        invalid(store.thread_link(ZD, bad, &thread).await);
        invalid(store.thread_link(bad, "4001", &thread).await);
        invalid(store.thread_try_lookup(ZD, bad).await.map(drop));
        invalid(
            store
                .thread_try_reverse_lookup(&thread, bad)
                .await
                .map(drop),
        );
        invalid(store.thread_unlink(ZD, bad).await.map(drop));
        invalid(store.thread_set(&thread, bad, "v").await);
        invalid(store.thread_get(&thread, bad).await.map(drop));
    }
    let huge = "v".repeat(crate::limits::MAX_VALUE_LEN + 1);
    assert!(matches!(
        store.thread_set(&thread, "k", &huge).await,
        Err(Error::InvalidInput { field: "value", .. })
    ));
    assert!(matches!(
        store.thread_set(&thread, "k", "nul\0").await,
        Err(Error::InvalidInput { field: "value", .. })
    ));
    // Nothing above left a trace.
    assert_eq!(
        store.user_try_reverse_lookup(&alice, ZD).await.unwrap(),
        None
    );
    assert_eq!(
        store.thread_try_reverse_lookup(&thread, ZD).await.unwrap(),
        None
    );
    assert_eq!(store.thread_get(&thread, "k").await.unwrap(), None);
    assert_eq!(store.user_try_lookup(SC, "sc-bob").await.unwrap(), None);
}

pub async fn a_second_handle_sees_every_write(site: &dyn StoreSite) {
    let first = site.open().await;
    let alice = first.user_identify(SC, "sc-alice").await.unwrap();
    first.user_link(ZD, "101", &alice).await.unwrap();
    let thread = first.thread_create().await.unwrap();
    first.thread_link(ZD, "4001", &thread).await.unwrap();
    first
        .thread_set(&thread, "conversation_id", "conv-1")
        .await
        .unwrap();
    first
        .thread_set_primary_user(&thread, &alice)
        .await
        .unwrap();
    let claim = claimed(first.delivery_claim(ZD, "c-1", LEASE).await.unwrap());
    first.delivery_complete(&claim, "m-1").await.unwrap();

    let second = site.open().await;
    assert_eq!(second.user_identify(SC, "sc-alice").await.unwrap(), alice);
    assert_eq!(
        second.user_try_lookup(ZD, "101").await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        second.thread_try_lookup(ZD, "4001").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        second
            .thread_get(&thread, "conversation_id")
            .await
            .unwrap()
            .as_deref(),
        Some("conv-1")
    );
    assert_eq!(
        second.thread_primary_user(&thread).await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        second.delivery_claim(ZD, "c-1", LEASE).await.unwrap(),
        ClaimOutcome::Delivered {
            target_message_id: "m-1".into()
        }
    );
}

/// 32 tasks, half on each of two handles, identify the same id at once.
pub async fn user_identify_race_gives_one_user(site: &dyn StoreSite) {
    let handles = [site.open().await, site.open().await];
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..32 {
        let store = Arc::clone(&handles[n % 2]);
        tasks.spawn(async move { store.user_identify(SC, "sc-contended").await });
    }
    let mut users = HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        users.insert(joined.unwrap().unwrap());
    }
    assert_eq!(users.len(), 1, "racing identifies made {users:?}");
    let user = users.into_iter().next().unwrap();
    assert_eq!(
        handles[0]
            .user_try_lookup(SC, "sc-contended")
            .await
            .unwrap(),
        Some(user)
    );
}

/// 32 tasks identify 8 ids, 4 tasks per id, at once.
pub async fn user_identify_race_on_many_ids(site: &dyn StoreSite) {
    let handles = [site.open().await, site.open().await];
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..32 {
        let store = Arc::clone(&handles[n % 2]);
        let id = format!("sc-{}", n % 8);
        tasks.spawn(async move {
            let user = store.user_identify(SC, &id).await;
            (id, user)
        });
    }
    let mut by_id = std::collections::HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (id, user) = joined.unwrap();
        let user = user.unwrap();
        let first = *by_id.entry(id.clone()).or_insert(user);
        assert_eq!(first, user, "{id} got two users");
    }
    let distinct: HashSet<_> = by_id.values().collect();
    assert_eq!(by_id.len(), 8);
    assert_eq!(distinct.len(), 8);
}

/// Racing links of several ids to one user leave exactly one of them linked, in both
/// directions.
pub async fn user_link_race_keeps_both_rules(site: &dyn StoreSite) {
    let handles = [site.open().await, site.open().await];
    let alice = handles[0].user_identify(SC, "sc-alice").await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let store = Arc::clone(&handles[n % 2]);
        tasks.spawn(async move { store.user_link(ZD, &format!("z-{n}"), &alice).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().unwrap();
    }
    let linked = handles[1]
        .user_try_reverse_lookup(&alice, ZD)
        .await
        .unwrap()
        .expect("one id stays linked");
    let mut found = 0;
    for n in 0..16 {
        let id = format!("z-{n}");
        match handles[0].user_try_lookup(ZD, &id).await.unwrap() {
            Some(user) => {
                assert_eq!(user, alice);
                assert_eq!(id, linked);
                found += 1;
            }
            None => assert_ne!(id, linked),
        }
    }
    assert_eq!(found, 1);
}

/// Calls abandoned at every point (a web request dropped by its client, a timeout) leave
/// the store usable, the link rules whole, and every write that returned `Ok` visible to
/// another handle: no write may join a transaction a cancelled call left open.
pub async fn calls_abandoned_midway_lose_no_acknowledged_write(site: &dyn StoreSite) {
    let store = site.open().await;
    let thread = store.thread_create().await.unwrap();
    let mut acknowledged = Vec::new();
    // 1 us steps across a call's length, so cuts land inside each step of it. (A store
    // whose calls finish in their first poll, like memory, is never cut.)
    for n in 0..2_000u64 {
        let cut = Duration::from_micros(n % 600);
        let ticket = format!("t-{n}");
        let link = store.thread_link(ZD, &ticket, &thread);
        let _ = tokio::time::timeout(cut, link).await;
        let claim = store.delivery_claim(ZD, &ticket, LEASE);
        let _ = tokio::time::timeout(cut, claim).await;
        let user = store.user_identify(SC, &format!("sc-{n}")).await.unwrap();
        acknowledged.push((n, user));
    }

    // Rule 2 holds whatever was cut: the thread keeps at most one ticket.
    if let Some(ticket) = store.thread_try_reverse_lookup(&thread, ZD).await.unwrap() {
        assert_eq!(
            store.thread_try_lookup(ZD, &ticket).await.unwrap(),
            Some(thread)
        );
    }
    // Every kind of call still works, transactions included.
    store.thread_link(ZD, "final", &thread).await.unwrap();
    assert_eq!(
        store
            .thread_try_reverse_lookup(&thread, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("final")
    );
    claimed(store.delivery_claim(ZD, "after", LEASE).await.unwrap());
    assert!(matches!(
        store.delivery_claim(ZD, "after", LEASE).await.unwrap(),
        ClaimOutcome::InProgress { .. }
    ));
    // Every acknowledged write is there for another handle.
    let other = site.open().await;
    for (n, user) in acknowledged {
        assert_eq!(
            other.user_try_lookup(SC, &format!("sc-{n}")).await.unwrap(),
            Some(user),
            "the write for sc-{n} returned Ok and is not there"
        );
    }
}
