//! Residents' personal data: one resident's data exported and erased everywhere (through
//! the command line, audited), the retention purge by age, and the office keeping only
//! masked text. Each runs on SQLite and, when reachable, on PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chrono::{Duration, Utc};
use heatdesk::config::{Secret, Settings};
use heatdesk::dialogue::{Contradicted, Inbound, Turn, Unhappy};
use heatdesk::domain::IntentId;
use heatdesk::privacy::{Privacy, RetentionSettings};
use heatdesk::service::{AccountNo, IdempotencyKey, NewRequest, RequestKind};
use heatdesk::storage::Database;
use heatdesk::transcript::{Direction, TranscriptLine};
use serde_json::Value;
use wechat_mp::testing::FakeWeChat;

use crate::desk::browser_test::WeChatResident;
use crate::desk::{always_open, with_wechat};
use crate::helpers::{fresh_postgres, repo, spawn_app_with, TestApp};

const A: &str = "o-privacy-resident-a";
const B: &str = "o-privacy-resident-b";

/// Where each test runs: SQLite, and PostgreSQL when reachable.
async fn backends() -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Some(url) = fresh_postgres().await {
        out.push(Some(url));
    }
    out
}

async fn app_on(url: Option<&String>, fake: &FakeWeChat) -> TestApp {
    spawn_app_with(|s: &mut Settings| {
        always_open(s);
        with_wechat(s, fake);
        if let Some(url) = url {
            s.database_url = Secret::new(url.clone());
        }
    })
    .await
}

fn database_url(app: &TestApp) -> String {
    app.state.settings.database_url.expose().to_owned()
}

/// Gives `user` data in every table that can hold an OpenID, through the callback, the
/// dialogue and the desk's handoff code wherever they write it.
async fn resident_with_everything(app: &TestApp, fake: &FakeWeChat, user: &str, question: &str) {
    let id = if user == A { 100 } else { 200 };
    let state = &app.state;
    // Answered, then contradicted by asking for a person: the office hears of the answer.
    let mut wechat = WeChatResident::new(app, fake, user);
    wechat.says(question).await;
    wechat.says("转人工").await;
    let handoff = state.handoffs.store.open_for(user).await.unwrap().unwrap();
    let (agent, _) = state.users.by_name("agent").await.unwrap().unwrap();
    assert!(state
        .handoffs
        .store
        .claim(handoff.id, agent.id, Utc::now())
        .await
        .unwrap());
    let handoff = state.handoffs.store.get(handoff.id).await.unwrap().unwrap();
    let closed = state
        .handoffs
        .close(
            &handoff,
            agent.id,
            "resolved",
            "called back about the price",
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(closed);
    // The rating question is answered with a low mark; then a person is asked for again.
    wechat.says("1").await;
    wechat.says("转人工").await;
    let photo = Turn {
        user: user.to_owned(),
        inbound: Inbound::Image {
            media_id: format!("photo-{id}"),
            url: None,
        },
        at: Utc::now(),
        locale: "zh-CN".to_owned(),
        message: None,
    };
    state.dialogue().unwrap().handle(photo).await.unwrap();
    let account = AccountNo::parse(if user == A { "10203040" } else { "10203041" }).unwrap();
    state
        .conversations
        .bind(user, &account, Utc::now())
        .await
        .unwrap();
    state
        .conversations
        .hold_notice(user, "your repair is scheduled", Utc::now())
        .await
        .unwrap();
    let request = NewRequest {
        idempotency_key: IdempotencyKey::parse(format!("test-{id}-request")).unwrap(),
        account,
        kind: RequestKind::Repair,
        urgent: false,
        // A request waiting for the API: the utility's to receive, photos and all.
        details: serde_json::json!({ "photos": [format!("upload-{id}")] }),
    };
    state.outbox.enqueue(user, &request).await.unwrap();
}

/// Every (table, column) of the database with a row whose text contains `needle`: asked of
/// the database's own catalogue, not of heatdesk's code.
async fn columns_holding(url: &str, needle: &str) -> Vec<String> {
    // SQLite lists a table's columns with a pragma, PostgreSQL in information_schema.
    const SQLITE_COLUMNS: &str = "SELECT m.name, p.name FROM sqlite_master m \
         JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%'";
    const PG_COLUMNS: &str = "SELECT table_name, column_name FROM information_schema.columns \
         WHERE table_schema = 'public'";
    let db = Database::open(url).await.unwrap();
    let columns: Vec<(String, String)> = match &db {
        Database::Sqlite(pool) => sqlx::query_as(SQLITE_COLUMNS).fetch_all(pool).await,
        Database::Postgres(pool) => sqlx::query_as(PG_COLUMNS).fetch_all(pool).await,
    }
    .unwrap();
    let pattern = format!("%{needle}%");
    let mut found = Vec::new();
    for (t, col) in columns {
        let sql = format!("SELECT COUNT(*) FROM {t} WHERE CAST({col} AS TEXT) LIKE $1");
        let n: i64 = match &db {
            Database::Sqlite(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(&pattern)
                    .fetch_one(pool)
                    .await
            }
            Database::Postgres(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(&pattern)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap();
        if n > 0 {
            found.push(format!("{t}.{col}"));
        }
    }
    found
}

fn heatdesk(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env("HEATDESK_DATABASE_URL", url)
        .output()
        .unwrap()
}

fn export(url: &str, user: &str) -> Value {
    let out = heatdesk(url, &["resident", "export", user, "--by", "dpo-wang"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

fn part<'a>(v: &'a Value, name: &str) -> &'a Vec<Value> {
    v[name]
        .as_array()
        .unwrap_or_else(|| panic!("no part `{name}` in {v:#}"))
}

#[tokio::test]
async fn a_resident_is_exported_then_erased_everywhere_and_the_other_keeps_theirs() {
    for url in backends().await {
        let fake = FakeWeChat::start().await;
        let app = app_on(url.as_ref(), &fake).await;
        resident_with_everything(&app, &fake, A, "暖气费多少钱一平米").await;
        resident_with_everything(&app, &fake, B, "营业厅几点开门").await;
        let url = database_url(&app);

        let a = export(&url, A);
        for name in [
            "conversation",
            "transcript",
            "bindings",
            "escalations",
            "notices",
            "handoffs",
            "outbox",
            "retry_records",
            "classifications",
            "office_feedback",
            "photos",
        ] {
            assert!(!part(&a, name).is_empty(), "{name} missing: {a:#}");
        }
        let handoffs = part(&a, "handoffs");
        assert_eq!(handoffs.len(), 2);
        assert!(handoffs
            .iter()
            .any(|h| h["rating"] == 1 && h["note"] == "called back about the price"));
        assert_eq!(part(&a, "photos")[0]["media_id"], "photo-100");
        assert_eq!(part(&a, "bindings")[0]["account_no"], "10203040");
        // Tied by the resident's own words; "转人工", which both wrote, is nobody's.
        let classified: Vec<&str> = part(&a, "classifications")
            .iter()
            .filter_map(|c| c["text_masked"].as_str())
            .collect();
        assert!(classified.contains(&"暖气费多少钱一平米"), "{classified:?}");
        assert!(!classified.contains(&"转人工"), "{classified:?}");
        let b_before = export(&url, B);

        let out = heatdesk(&url, &["resident", "erase", A, "--yes", "--by", "dpo-wang"]);
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(printed.contains("not heatdesk's to delete"), "{printed}");
        assert!(printed.contains("no text column in the database holds the OpenID"));
        for table in [
            "transcript_lines",
            "conversations",
            "bindings",
            "handoffs",
            "wechat_dedup",
        ] {
            assert!(printed.contains(table), "{table} not reported: {printed}");
        }

        let left = columns_holding(&url, A).await;
        assert!(left.is_empty(), "the OpenID is still in {left:?}");
        assert!(columns_holding(&url, "photo-100").await.is_empty());
        let pending = columns_holding(&url, "upload-100").await;
        assert_eq!(pending, ["outbox.payload"], "sent on, without the OpenID");
        let again = export(&url, A);
        for name in [
            "conversation",
            "transcript",
            "handoffs",
            "classifications",
            "photos",
        ] {
            assert!(part(&again, name).is_empty(), "{name}: {again:#}");
        }
        // Every row of the other resident's is still there, unchanged (their export may
        // now tie more log lines to them: words they shared with A are theirs alone now).
        let b_after = export(&url, B);
        for (name, rows) in b_before.as_object().unwrap() {
            for row in rows.as_array().into_iter().flatten() {
                assert!(part(&b_after, name).contains(row), "{name}: {row} is gone");
            }
        }

        // Reports keep both of A's handoffs, under a pseudonym, closed, with the rating.
        let stats = Privacy::new(app.state.db.clone());
        let pseudonymous = app.state.handoffs.store.closed(50).await.unwrap();
        let kept: Vec<_> = pseudonymous
            .iter()
            .filter(|h| h.user.starts_with("erased-"))
            .collect();
        assert_eq!(kept.len(), 2, "{pseudonymous:?}");
        assert!(kept.iter().all(|h| h.note.is_none()));
        assert!(kept.iter().any(|h| h.rating == Some(1)));

        // Audited: who, what, when, and the OpenID masked only.
        let audit = stats.audit_log(10).await.unwrap();
        let erase = audit.iter().find(|l| l.action == "erase").unwrap();
        assert_eq!(erase.actor, "dpo-wang");
        assert_eq!(erase.subject, heatdesk::privacy::mask_openid(A));
        assert!(!erase.subject.contains(A));
        assert!(audit.iter().filter(|l| l.action == "export").count() >= 3);
        assert!(Utc::now() - erase.at < Duration::hours(1));
    }
}

#[tokio::test]
async fn erase_asks_for_the_openid_again_and_refuses_what_is_not_one() {
    let fake = FakeWeChat::start().await;
    let app = app_on(None, &fake).await;
    WeChatResident::new(&app, &fake, A).says("暖气不热").await;
    let url = database_url(&app);
    // Without --yes and without the OpenID typed again, nothing happens.
    let out = heatdesk(&url, &["resident", "erase", A]);
    assert!(!out.status.success());
    assert!(!columns_holding(&url, A).await.is_empty());
    // A string that could match other residents' rows is refused.
    let out = heatdesk(&url, &["resident", "erase", "o", "--yes"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OpenID"));
}

#[test]
fn retention_is_a_settings_section_in_the_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heatdesk.toml");
    std::fs::write(
        &file,
        "[retention]\ntranscripts_days = 30\nphotos_days = 0\n",
    )
    .unwrap();
    let s = Settings::load(Some(&file)).unwrap();
    assert_eq!(s.retention.transcripts_days, 30);
    assert_eq!(s.retention.photos_days, 0);
    assert_eq!(s.retention.classifications_days, 90, "the default");
    // HEATDESK_RETENTION_* reach the section (an unknown key would be refused).
    let url = format!("sqlite://{}/r.db", dir.path().display());
    let export_with = |key: &str| {
        Command::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["resident", "export", A])
            .current_dir(repo())
            .env("HEATDESK_DATABASE_URL", &url)
            .env(key, "30")
            .output()
            .unwrap()
    };
    let out = export_with("HEATDESK_RETENTION_CLASSIFICATIONS_DAYS");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = export_with("HEATDESK_RETENTION_CLASSIFICATION_DAYS");
    assert!(!bad.status.success(), "a misspelt key is refused");
}

fn line(at: chrono::DateTime<Utc>, text: &str) -> TranscriptLine {
    TranscriptLine::new(at, Direction::In, text)
}

#[tokio::test]
async fn retention_purges_by_age_and_keeps_what_is_recent_or_still_with_an_agent() {
    for url in backends().await {
        let fake = FakeWeChat::start().await;
        let app = app_on(url.as_ref(), &fake).await;
        let (old, recent) = (
            Utc::now() - Duration::days(400),
            Utc::now() - Duration::days(30),
        );
        let talk = &app.state.conversations;
        talk.append(
            "o-old-talk",
            &[line(old, "old words"), line(old, "[image] media-old")],
        )
        .await
        .unwrap();
        talk.append("o-old-talk", &[line(recent, "[image] media-recent")])
            .await
            .unwrap();
        talk.hold_notice("o-old-talk", "an old notice", old)
            .await
            .unwrap();
        // A resident with an open handoff keeps even old lines.
        WeChatResident::new(&app, &fake, "o-with-agent")
            .says("转人工")
            .await;
        talk.append("o-with-agent", &[line(old, "still needed")])
            .await
            .unwrap();
        let storage = &app.state.storage;
        let mut log = storage.recent_classifications(1).await.unwrap().remove(0);
        log.at = Utc::now() - Duration::days(100);
        storage.log_classification(&log).await.unwrap();

        let privacy = Privacy::new(app.state.db.clone());
        let settings = RetentionSettings::default();
        let purged = privacy.purge(&settings, Utc::now()).await.unwrap();
        assert!(!purged.skipped);
        assert_eq!(purged.of("transcript_lines"), 2, "{purged:?}");
        assert_eq!(purged.of("notices"), 1);
        assert_eq!(purged.of("classifications"), 1);
        assert_eq!(
            purged.of("photos"),
            0,
            "the old photo line went with its transcript"
        );
        let kept = talk.transcript("o-old-talk").await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].text, "[image] media-recent");
        assert!(talk
            .transcript("o-with-agent")
            .await
            .unwrap()
            .iter()
            .any(|l| l.text == "still needed"));

        // Photos kept shorter than transcripts: the media id goes, the line stays.
        let short = RetentionSettings {
            photos_days: 7,
            ..RetentionSettings::default()
        };
        let purged = privacy.purge(&short, Utc::now()).await.unwrap();
        assert_eq!(purged.of("photos"), 1);
        assert_eq!(
            talk.transcript("o-old-talk").await.unwrap()[0].text,
            "[image]"
        );

        // 0 keeps forever.
        let forever = RetentionSettings {
            transcripts_days: 0,
            classifications_days: 0,
            photos_days: 0,
            handoffs_days: 0,
            ..RetentionSettings::default()
        };
        assert!(privacy
            .purge(&forever, Utc::now())
            .await
            .unwrap()
            .rows
            .is_empty());

        // Closed handoffs past their retention go; the open one stays.
        let h = app
            .state
            .handoffs
            .store
            .open_for("o-with-agent")
            .await
            .unwrap()
            .unwrap();
        let later = Utc::now() + Duration::days(400);
        let purged = privacy.purge(&settings, later).await.unwrap();
        assert_eq!(purged.of("handoffs"), 0);
        assert!(app.state.handoffs.store.get(h.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn on_postgres_one_instance_at_a_time_purges() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let db = Database::open(&url).await.unwrap();
    let Database::Postgres(pool) = &db else {
        unreachable!()
    };
    let mut other = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(heatdesk::privacy::RETENTION_LOCK)
        .execute(&mut *other)
        .await
        .unwrap();
    let privacy = Privacy::new(db.clone());
    let purged = privacy
        .purge(&RetentionSettings::default(), Utc::now())
        .await
        .unwrap();
    assert!(purged.skipped, "another instance holds the purge");
    other.rollback().await.unwrap();
    let purged = privacy
        .purge(&RetentionSettings::default(), Utc::now())
        .await
        .unwrap();
    assert!(!purged.skipped);
}

#[tokio::test]
async fn the_office_keeps_residents_words_masked() {
    for url in backends().await {
        let fake = FakeWeChat::start().await;
        let app = app_on(url.as_ref(), &fake).await;
        let office = &app.state.office;
        let words = "我的电话是13912345678，暖气不热";
        office
            .label(words, "not_warm", "inbox", "curator")
            .await
            .unwrap();
        let intent = IntentId::parse("not_warm").unwrap();
        office
            .contradicted(words, &intent, Unhappy::Contradicted, Utc::now())
            .await;
        let url = database_url(&app);
        assert!(columns_holding(&url, "13912345678").await.is_empty());
        let masked = columns_holding(&url, "*******5678").await;
        assert!(
            masked.contains(&"office_labels.text".to_owned()),
            "{masked:?}"
        );
        assert!(
            masked.contains(&"office_feedback.text_masked".to_owned()),
            "{masked:?}"
        );
    }
}
