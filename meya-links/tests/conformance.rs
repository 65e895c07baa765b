//! Every backend runs the same conformance suite.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod memory {
    meya_links::link_store_conformance!(Some(meya_links::testing::MemorySite::new()));
    meya_links::link_store_conformance!(@cases Some(meya_links::testing::MemorySite::new());
        composite_steps_store_all_or_nothing);
}

mod sqlite {
    meya_links::link_store_conformance!(Some(meya_links::testing::SqliteSite::new()));
    meya_links::link_store_conformance!(@cases Some(meya_links::testing::SqliteSite::new());
        composite_steps_store_all_or_nothing);
}

/// The other durability a SQLite store offers (`SqliteSynchronous::Normal`).
mod sqlite_normal {
    use meya_links::SqliteSynchronous::Normal;
    use meya_links::testing::SqliteSite;
    meya_links::link_store_conformance!(Some(SqliteSite::with_synchronous(Normal)));
    meya_links::link_store_conformance!(@cases Some(SqliteSite::with_synchronous(Normal));
        composite_steps_store_all_or_nothing);
}

mod postgres {
    meya_links::link_store_conformance!(meya_links::testing::PostgresSite::from_env().await);
    meya_links::link_store_conformance!(@cases meya_links::testing::PostgresSite::from_env().await;
        composite_steps_store_all_or_nothing);
}
