//! Golden conversations: whole transcripts driven through `Dialogue::handle` against the
//! built-in service with the demo data, on a fixed clock, compared with `tests/golden/*.txt`
//! (`HEATDESK_BLESS=1` rewrites them).
#![allow(clippy::unwrap_used)]

mod port_test;
mod store_test;
mod transactions_test;
mod transcripts_test;
mod triage_test;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use heatdesk::app::AppState;
use heatdesk::dialogue::{Dialogue, DialogueDeps, Inbound, Turn};
use heatdesk::service::rules::{MonthDay, Rules};
use heatdesk::service::{
    Account, AccountNo, Bill, BuiltinService, Hall, NewRequest, Payment, RequestId, ServiceApi,
    ServiceError, ServiceRequest, StatusUpdate, Verification, WorkOrder,
};

use crate::helpers;

/// 10:00 in Wuhai on 26 November 2026, within the heating season.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

/// The demo rules, with the suspension deadline moved to the year's end so a suspension can
/// be tried in November.
pub fn rules() -> Rules {
    Rules {
        suspension_deadline: MonthDay::new(12, 31),
        ..Rules::default()
    }
}

/// A service API that can be switched off, to try the outbox.
#[derive(Debug)]
pub struct Switchable {
    inner: BuiltinService,
    pub down: Mutex<bool>,
}

impl Switchable {
    fn check(&self) -> Result<(), ServiceError> {
        if *self.down.lock().unwrap() {
            Err(ServiceError::Unavailable("switched off".to_owned()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ServiceApi for Switchable {
    async fn account(&self, no: &AccountNo) -> Result<Account, ServiceError> {
        self.inner.account(no).await
    }
    async fn verify(&self, no: &AccountNo, p: &Verification) -> Result<bool, ServiceError> {
        self.inner.verify(no, p).await
    }
    async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, ServiceError> {
        self.inner.bills(no).await
    }
    async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, ServiceError> {
        self.inner.payments(no).await
    }
    async fn create_request(&self, new: &NewRequest) -> Result<ServiceRequest, ServiceError> {
        self.check()?;
        self.inner.create_request(new).await
    }
    async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, ServiceError> {
        self.inner.requests(no).await
    }
    async fn request(&self, id: &RequestId) -> Result<ServiceRequest, ServiceError> {
        self.inner.request(id).await
    }
    async fn advance_request(&self, u: &StatusUpdate) -> Result<ServiceRequest, ServiceError> {
        self.check()?;
        self.inner.advance_request(u).await
    }
    async fn halls(&self) -> Result<Vec<Hall>, ServiceError> {
        self.inner.halls().await
    }
    async fn work_orders(&self, district: Option<&str>) -> Result<Vec<WorkOrder>, ServiceError> {
        self.inner.work_orders(district).await
    }
}

/// A resident talking to heatdesk, with the transcript written as it goes.
pub struct Chat {
    pub state: AppState,
    /// The dialogue's handles, with the switchable service in place of the app's.
    pub deps: DialogueDeps,
    pub dialogue: Dialogue,
    pub service: Arc<Switchable>,
    pub user: String,
    clock: Arc<Mutex<DateTime<Utc>>>,
    log: String,
    _dir: Option<tempfile::TempDir>,
}

impl Chat {
    /// heatdesk on a fresh SQLite file, or on `postgres_url`.
    pub async fn start(postgres_url: Option<String>) -> Chat {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = helpers::settings(dir.path());
        if let Some(url) = postgres_url {
            settings.database_url = heatdesk::config::Secret::new(url);
        }
        settings.rules = rules();
        let state = AppState::build(settings).await.unwrap();
        let clock = Arc::new(Mutex::new(start_time()));
        let c = clock.clone();
        let inner = BuiltinService::new(state.db.clone(), rules())
            .with_clock(Arc::new(move || *c.lock().unwrap()));
        let service = Arc::new(Switchable {
            inner,
            down: Mutex::new(false),
        });
        let deps = DialogueDeps {
            service: service.clone(),
            ..state.dialogue_deps()
        };
        let dialogue = Dialogue::new(deps.clone()).unwrap();
        Chat {
            state,
            deps,
            dialogue,
            service,
            user: "oResident0001".to_owned(),
            clock,
            log: String::new(),
            _dir: Some(dir),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().unwrap()
    }

    pub fn note(&mut self, text: &str) {
        self.log.push_str(&format!("# {text}\n"));
    }

    pub fn wait(&mut self, minutes: i64) {
        *self.clock.lock().unwrap() += Duration::minutes(minutes);
        self.note(&format!("{minutes} minutes later"));
    }

    /// Drops the dialogue and builds it again on the same database, as after a restart.
    pub fn restart(&mut self) {
        self.dialogue = Dialogue::new(self.deps.clone()).unwrap();
        self.note("heatdesk restarted");
    }

    pub async fn say(&mut self, text: &str) -> Vec<String> {
        self.send_as(Inbound::Text(text.to_owned()), text).await
    }

    pub async fn send(&mut self, inbound: Inbound) -> Vec<String> {
        let shown = format!("{inbound:?}");
        self.send_as(inbound, &shown).await
    }

    async fn send_as(&mut self, inbound: Inbound, shown: &str) -> Vec<String> {
        // Each message a minute after the last, as a resident types.
        *self.clock.lock().unwrap() += Duration::minutes(1);
        let turn = Turn {
            user: self.user.clone(),
            inbound,
            at: self.now(),
            locale: "zh-CN".to_owned(),
            message: None,
        };
        let out = self.dialogue.handle(turn).await.unwrap();
        self.log.push_str(&format!("> {shown}\n"));
        for r in &out.replies {
            let mut lines = r.lines();
            if let Some(first) = lines.next() {
                self.log.push_str(&format!("< {first}\n"));
            }
            for l in lines {
                self.log.push_str(&format!("  {l}\n"));
            }
        }
        if let Some(e) = &out.escalation {
            let intent = e.intent.as_ref().map_or("-", |i| i.as_str());
            self.log
                .push_str(&format!("! escalation {} ({intent})\n", e.reason.as_str()));
        }
        self.log.push('\n');
        out.replies
    }

    /// Compares the transcript with `tests/golden/<name>.txt`.
    pub fn golden(&self, name: &str) {
        assert_golden(name, &self.log);
    }
}

pub fn golden_path(name: &str) -> PathBuf {
    helpers::repo()
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

pub fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("HEATDESK_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with HEATDESK_BLESS=1", path.display()));
    if expected != actual {
        panic!(
            "transcript differs from {} (HEATDESK_BLESS=1 rewrites it):\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// The lines that differ, in order, each with its line number.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            out.push_str(&format!("{:>4} - {}\n", i + 1, x.unwrap_or(&"")));
            out.push_str(&format!("{:>4} + {}\n", i + 1, y.unwrap_or(&"")));
        }
    }
    out
}
