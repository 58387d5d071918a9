//! The service API: the built-in implementation on both backends, its business rules, the
//! HTTP contract (reference server and client), retries and the outbox.
#![allow(clippy::unwrap_used)]

mod builtin;
mod stations;
mod wire;
