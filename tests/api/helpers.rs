#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heatdesk::app::AppState;
use heatdesk::config::Settings;
use heatdesk::storage::{self, Storage};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Settings that read the shipped data and keep the database in `dir`.
pub fn settings(dir: &Path) -> Settings {
    let root = repo();
    Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: heatdesk::config::Secret::new(format!(
            "sqlite://{}/heatdesk.db",
            dir.display()
        )),
        intents_dir: root.join("intents"),
        phrasebook_dir: root.join("phrasebook"),
        locales_dir: root.join("locales"),
        ..Settings::default()
    }
}

/// The shipped data, with the facts the default settings own.
pub fn shipped_sources() -> heatdesk::catalog::Sources {
    settings(Path::new("unused")).sources().unwrap()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Where its database lives (to build a second instance on it: a restart).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}

/// Builds heatdesk as `serve` does, on port 0 with a fresh SQLite file.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), adjust).await
}

/// Builds heatdesk on the SQLite file in `dir`, which may already hold data (written by
/// the command line, say).
pub async fn spawn_app_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    // Logs only when asked for (RUST_LOG=…), captured per test.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut s = settings(dir.path());
    adjust(&mut s);
    let state = AppState::build(s).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = heatdesk::app::router(&state);
    tokio::spawn(async move { heatdesk::http::serve(listener, router).await });
    TestApp {
        addr,
        state,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

/// The PostgreSQL server tests use (`HEATDESK_TEST_POSTGRES_URL`, default the local one).
fn postgres_admin_url() -> String {
    std::env::var("HEATDESK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn postgres_required() -> bool {
    std::env::var("HEATDESK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// A fresh, empty PostgreSQL database for one test; `None` (with a notice) when no server
/// is reachable, unless `HEATDESK_TEST_REQUIRE_POSTGRES=1`, which makes that a failure.
pub async fn fresh_postgres() -> Option<String> {
    use sqlx::Connection;
    let admin = postgres_admin_url();
    let connect = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        sqlx::PgConnection::connect(&admin),
    );
    let mut conn = match connect.await {
        Ok(Ok(c)) => c,
        other => {
            let why = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_owned(),
            };
            assert!(
                !postgres_required(),
                "PostgreSQL is required but unreachable at {admin}: {why}"
            );
            eprintln!(
                "notice: PostgreSQL unreachable ({why}); skipping the PostgreSQL part of this test"
            );
            return None;
        }
    };
    sweep_databases_of_finished_runs(&mut conn).await;
    let name = format!("heatdesk_t_{}_{}", std::process::id(), rand_suffix());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    DROP_AT_TEST_END.with(|d| d.borrow_mut().names.push(name.clone()));
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
    Some(format!("{base}/{name}"))
}

thread_local! {
    /// The databases made on this thread. The test harness runs every test on a thread of
    /// its own, so the thread's end is the test's end, passed or panicked: that is when they
    /// are dropped, without a guard at each of the many places a test takes a database.
    static DROP_AT_TEST_END: std::cell::RefCell<DropAtTestEnd> =
        const { std::cell::RefCell::new(DropAtTestEnd { names: Vec::new() }) };
}

struct DropAtTestEnd {
    names: Vec<String>,
}

impl Drop for DropAtTestEnd {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        let names = std::mem::take(&mut self.names);
        // A thread of its own with a runtime of its own: this runs while the test thread's
        // locals (the test's runtime among them) are being torn down. FORCE ends the
        // connections a pool or a killed server may still hold.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                use sqlx::Connection;
                let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await else {
                    eprintln!("notice: could not reach PostgreSQL to drop {names:?}");
                    return;
                };
                for name in names {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop.as_str()))
                        .execute(&mut conn)
                        .await
                    {
                        eprintln!("notice: test database {name} not dropped: {e}");
                    }
                }
            });
        });
        let _ = dropper.join();
    }
}

/// Test databases are named after the test process; those of processes that are gone (a
/// run killed before its tests ended) are dropped, once per process, before the first new
/// one is made. Each test's own are dropped when it ends (`DROP_AT_TEST_END`).
async fn sweep_databases_of_finished_runs(conn: &mut sqlx::PgConnection) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'heatdesk\\_t\\_%'",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
            let mut dropped = 0;
            for name in names {
                let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
                let alive =
                    pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
                if alive {
                    continue;
                }
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                if sqlx::query(sqlx::AssertSqlSafe(drop.as_str()))
                    .execute(&mut *conn)
                    .await
                    .is_ok()
                {
                    dropped += 1;
                }
            }
            if dropped > 0 {
                eprintln!("notice: dropped {dropped} test databases of earlier runs");
            }
        })
        .await;
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

/// Every backend this machine offers: SQLite always, PostgreSQL when reachable.
pub async fn all_storages(dir: &Path) -> Vec<Arc<dyn Storage>> {
    let mut out = vec![storage::open(&format!("sqlite://{}/s.db", dir.display()))
        .await
        .unwrap()];
    if let Some(url) = fresh_postgres().await {
        out.push(storage::open(&url).await.unwrap());
    }
    out
}

/// Every database this machine offers, migrated: SQLite always, PostgreSQL when reachable.
pub async fn all_databases(dir: &Path) -> Vec<storage::Database> {
    let mut out = vec![
        storage::Database::open(&format!("sqlite://{}/d.db", dir.display()))
            .await
            .unwrap(),
    ];
    if let Some(url) = fresh_postgres().await {
        out.push(storage::Database::open(&url).await.unwrap());
    }
    out
}

/// Where the `heatdesk serve` processes of this test run write their logs (JSON lines),
/// one directory per test process, scanned for personal data and secrets by
/// `observability::no_server_log_holds_personal_data_or_secrets`.
pub fn server_logs_dir(pid: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("server-logs")
        .join(pid.to_string())
}

/// Makes a `heatdesk serve` command log JSON lines into a file of its own under
/// `server_logs_dir` (for a `tokio::process::Command`, pass `as_std_mut()`); returns the path.
/// `RUST_LOG` is the caller's.
pub fn server_log(cmd: &mut std::process::Command, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = server_logs_dir(std::process::id());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.log", N.fetch_add(1, Ordering::Relaxed)));
    let file = std::fs::File::create(&path).unwrap();
    cmd.env("HEATDESK_LOG_FORMAT", "json").stderr(file);
    path
}
