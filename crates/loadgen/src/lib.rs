//! loadgen: load for a heatdesk WeChat callback.
//!
//! Simulated residents send signed (plaintext) or encrypted (safe mode) WeChat text pushes,
//! running scripted conversations from `scripts.toml` one message at a time, while many
//! residents share a bounded number of connections. The report gives throughput, latency
//! percentiles, errors by kind, how the scripts ended and the server's memory; with
//! `--desk-page`, also how a desk page fared meanwhile.

pub mod cli;
pub mod conn;
pub mod desk;
pub mod push;
pub mod report;
pub mod rss;
pub mod run;
pub mod scripts;
