//! The composite steps: `user_identify_and_link`, `thread_create_with`, `thread_apply`.

use super::*;
use crate::ThreadChanges;

pub async fn composite_steps_store_what_single_calls_store(site: &dyn StoreSite) {
    let store = site.open().await;
    let alice = store
        .user_identify_and_link(SC, "sc-alice", &[(ZD, "35436")])
        .await
        .unwrap();
    assert_eq!(
        store.user_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        store.user_try_lookup(ZD, "35436").await.unwrap(),
        Some(alice)
    );
    // Again: the same user, and a new requester id replaces the old one (rule 2).
    let again = store
        .user_identify_and_link(SC, "sc-alice", &[(ZD, "99")])
        .await
        .unwrap();
    assert_eq!(again, alice);
    assert_eq!(store.user_try_lookup(ZD, "35436").await.unwrap(), None);
    assert_eq!(
        store
            .user_try_reverse_lookup(&alice, ZD)
            .await
            .unwrap()
            .as_deref(),
        Some("99")
    );

    let thread = store
        .thread_create_with(
            &ThreadChanges::new()
                .primary_user(alice)
                .set("mode", "customer")
                .set("conversation", "c-1")
                .set("mode", "agent")
                .link(SC, "sc-alice")
                .link(ZD, "1000")
                .link(ZD, "1001"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(alice)
    );
    assert_eq!(
        store.thread_get(&thread, "mode").await.unwrap().as_deref(),
        Some("agent")
    );
    assert_eq!(
        store.thread_try_lookup(SC, "sc-alice").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store.thread_try_lookup(ZD, "1001").await.unwrap(),
        Some(thread)
    );

    // A new ticket replaces the old one on the thread; data is overwritten, in order.
    store
        .thread_apply(
            &thread,
            &ThreadChanges::new()
                .set("mode", "customer")
                .set("mode", "agent")
                .link(ZD, "1002"),
        )
        .await
        .unwrap();
    assert_eq!(store.thread_try_lookup(ZD, "1001").await.unwrap(), None);
    assert_eq!(
        store.thread_try_lookup(ZD, "1002").await.unwrap(),
        Some(thread)
    );
    assert_eq!(
        store.thread_get(&thread, "mode").await.unwrap().as_deref(),
        Some("agent")
    );
    // The primary user through its data key is the typed value.
    let bob = store.user_identify(SC, "sc-bob").await.unwrap();
    store
        .thread_apply(
            &thread,
            &ThreadChanges::new().set(PRIMARY_USER_ID, bob.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(store.thread_primary_user(&thread).await.unwrap(), Some(bob));
    // Nothing to store is no error.
    store
        .thread_apply(&thread, &ThreadChanges::new())
        .await
        .unwrap();

    // Errors: an unknown thread, an unknown user, a malformed primary user id.
    let nowhere = ThreadId::new();
    let unknown = store
        .thread_apply(&nowhere, &ThreadChanges::new().link(ZD, "2001"))
        .await;
    assert!(
        matches!(unknown, Err(Error::UnknownThread(id)) if id == nowhere),
        "{unknown:?}"
    );
    assert_eq!(store.thread_try_lookup(ZD, "2001").await.unwrap(), None);
    let stranger = UserId::new();
    let refused = store
        .thread_create_with(&ThreadChanges::new().primary_user(stranger))
        .await;
    assert!(
        matches!(refused, Err(Error::UnknownUser(id)) if id == stranger),
        "{refused:?}"
    );
    let malformed = store
        .thread_apply(
            &thread,
            &ThreadChanges::new().set(PRIMARY_USER_ID, "not-a-uuid"),
        )
        .await;
    assert!(
        matches!(malformed, Err(Error::InvalidInput { .. })),
        "{malformed:?}"
    );
    // Limits hold as for the single calls.
    let invalid = store
        .thread_apply(&thread, &ThreadChanges::new().link("", "1"))
        .await;
    assert!(
        matches!(invalid, Err(Error::InvalidInput { .. })),
        "{invalid:?}"
    );
    let invalid = store
        .user_identify_and_link(SC, "sc-carol", &[(ZD, "")])
        .await;
    assert!(
        matches!(invalid, Err(Error::InvalidInput { .. })),
        "{invalid:?}"
    );
    assert_eq!(store.user_try_lookup(SC, "sc-carol").await.unwrap(), None);
}

/// Not in [`link_store_conformance!`](crate::link_store_conformance): the traits' default
/// composite methods store one change after the other. The stores of this crate promise more,
/// and run this case too: a step that fails stores none of its changes.
pub async fn composite_steps_store_all_or_nothing(site: &dyn StoreSite) {
    let store = site.open().await;
    let alice = store.user_identify(SC, "sc-alice").await.unwrap();
    let thread = store
        .thread_create_with(
            &ThreadChanges::new()
                .primary_user(alice)
                .set("mode", "agent"),
        )
        .await
        .unwrap();
    let stranger = UserId::new();
    // The last change fails: the earlier ones (a valid primary user, a data value) are not
    // stored either.
    let bob = store.user_identify(SC, "sc-bob").await.unwrap();
    let failed = store
        .thread_apply(
            &thread,
            &ThreadChanges::new()
                .primary_user(bob)
                .set("mode", "customer")
                .set(PRIMARY_USER_ID, stranger.to_string())
                .link(ZD, "3001"),
        )
        .await;
    assert!(matches!(failed, Err(Error::UnknownUser(_))), "{failed:?}");
    assert_eq!(
        store.thread_get(&thread, "mode").await.unwrap().as_deref(),
        Some("agent")
    );
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(alice)
    );
    assert_eq!(store.thread_try_lookup(ZD, "3001").await.unwrap(), None);
    // A thread whose changes fail is not made: no link points at a half-made thread.
    let failed = store
        .thread_create_with(
            &ThreadChanges::new()
                .set(PRIMARY_USER_ID, stranger.to_string())
                .link(SC, "sc-nobody"),
        )
        .await;
    assert!(matches!(failed, Err(Error::UnknownUser(_))), "{failed:?}");
    assert_eq!(
        store.thread_try_lookup(SC, "sc-nobody").await.unwrap(),
        None
    );
}
