//! # zendesk-support
//!
//! A typed async client for the Zendesk Support API and verification of Zendesk webhooks: the
//! Zendesk half of the `zendesk-sunco` SDK, usable on its own.
//!
//! **Status:** not built yet. This crate will hold the client (tickets, ticket comments, users,
//! uploads, webhooks and triggers admin), its authentication (API token, OAuth bearer, OAuth
//! client credentials) and `webhook` signature and basic-auth verification, as described in the
//! workspace's architecture document. It exports nothing until those land.
