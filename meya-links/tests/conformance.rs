//! Every backend runs the same conformance suite.

mod memory {
    meya_links::link_store_conformance!(Some(meya_links::testing::MemorySite::new()));
}

mod sqlite {
    meya_links::link_store_conformance!(Some(meya_links::testing::SqliteSite::new()));
}

mod postgres {
    meya_links::link_store_conformance!(meya_links::testing::PostgresSite::from_env().await);
}
