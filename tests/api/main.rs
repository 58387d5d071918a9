//! heatdesk's integration tests: one binary, a real server on port 0, a real database.

mod architecture;
mod assist;
mod browser;
mod browser_smoke;
mod classify;
mod cli;
mod desk;
mod dialogue;
mod e2e;
mod helpers;
mod notify;
mod office;
mod outage;
mod phrasebook;
mod regressions;
mod scaleout;
mod service;
mod storage;
mod wechat;
mod wechat_cli;
