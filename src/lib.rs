//! heatdesk: one service desk behind a heating utility's WeChat official account, its
//! hotline and its service-hall counters.

/// Building the application from settings and running it.
pub mod app;
/// Standard replies suggested to hotline and counter agents.
pub mod assist;
/// The standardization office's data: intents, phrasebook, facts, synonyms.
pub mod catalog;
/// The command line.
pub mod cli;
/// Rooms measured below the standard, the rectification promised, and what is owed.
pub mod compensation;
/// Complaints as cases with deadlines and a follow-up call.
pub mod complaints;
/// Layered settings.
pub mod config;
/// The agent desk: web pages for agents, station staff, curators and admins.
pub mod desk;
/// Findings about data files, printed as `file:line: message`.
pub mod diag;
/// Conversations with residents: state per WeChat user, forms, clarification, transactions.
pub mod dialogue;
/// Identifiers and values parsed at the edge.
pub mod domain;
/// Entities in residents' messages (accounts, dates, places, answers), read with a lexicon.
pub mod entities;
/// Handing conversations to people and taking them back.
pub mod handoff;
/// The HTTP server and the API's error type.
pub mod http;
/// Fluent locales for every user-visible string that is not a standard reply.
pub mod i18n;
/// Interruptions of the heat supply: opened, changed, restored, told to residents.
pub mod incident;
/// Understanding residents' messages.
pub mod nlu;
/// Telling residents that their requests moved on.
pub mod notify;
/// The standardization office's work: versions, change sets, review, the gate, the inbox.
pub mod office;
/// Residents' personal data: retention, export and erasure on request.
pub mod privacy;
/// The service figures: volume, understanding, handoffs, complaints, per local day.
pub mod reports;
/// The utility's service API: accounts, bills, requests, halls.
pub mod service;
/// Persistence (SQLite, PostgreSQL).
pub mod storage;
/// Logging set-up.
pub mod telemetry;
/// What a conversation leaves behind: transcript, bindings, escalations, held notices.
pub mod transcript;
/// The WeChat official account's callback.
pub mod wechat;
