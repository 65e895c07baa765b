//! # sunshine-conversations
//!
//! A typed async client for the Sunshine Conversations (SunCo, formerly Smooch) API v2: the
//! SunCo half of the `zendesk-sunco` SDK, usable on its own.
//!
//! **Status:** not built yet. This crate will hold the client (users, conversations, messages,
//! attachments, integrations), app authentication (basic or app-scoped JWT), the user JWT the
//! web and mobile SDKs log in with, and webhook parsing with `X-API-Key` verification, as
//! described in the workspace's architecture document. It exports nothing until those land.
