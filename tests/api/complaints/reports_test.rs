//! The reports' figures on a seeded data set with known answers, on both backends, with
//! events either side of a local midnight (16:00 UTC); and the page and its CSV.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use heatdesk::complaints::{Action, Actor, Category, NewCase};
use heatdesk::domain::IntentId;
use heatdesk::domain::{Channel, EscalationReason};
use heatdesk::handoff::{self, NewHandoff};
use heatdesk::reports::{
    AbandonedAt, AgentFigures, ComplaintFigures, DayCount, FormFigures, InboxDay, Period,
    ReasonRatings, Reports, SelfService, Understanding, Wait,
};
use heatdesk::service::AccountNo;
use heatdesk::storage::ClassificationLog;
use heatdesk::transcript::{Direction, FormOutcome, FormRun, TranscriptLine};

use super::apps;
use crate::desk::DeskClient;
use crate::helpers::TestApp;

/// A time in December 2026 (days after the 20th: November).
fn at(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    let month = if d > 20 { 11 } else { 12 };
    Utc.with_ymd_and_hms(2026, month, d, h, m, s).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

/// When the figures are judged: 20:00 on 4 December, local time.
pub fn judged() -> DateTime<Utc> {
    at(4, 12, 0, 0)
}

async fn agent_id(app: &TestApp, name: &str) -> i64 {
    app.state.users.by_name(name).await.unwrap().unwrap().0.id
}

/// A classification of the sample text at `when`.
fn sample_log(
    when: DateTime<Utc>,
    channel: &str,
    intent: &str,
    decision: &str,
) -> ClassificationLog {
    ClassificationLog {
        at: when,
        channel: channel.to_owned(),
        text_masked: "sample".to_owned(),
        intent: intent.to_owned(),
        entry: None,
        confidence: 0.9,
        decision: decision.to_owned(),
        latency_us: 1000,
        catalog_version: "seed".to_owned(),
    }
}

/// The seeded data set; the expected figures are in the test below.
pub async fn seed(app: &TestApp) {
    let log = sample_log;
    for c in [
        // 23:59:59 on 2 December, local: before the period.
        log(at(2, 15, 59, 59), "wechat", "not_warm", "answer"),
        // Midnight of 3 December, local.
        log(at(2, 16, 0, 0), "wechat", "not_warm", "answer"),
        log(at(3, 10, 0, 0), "wechat", "not_warm", "clarify"),
        // 23:59:59 on 3 December, local.
        log(at(3, 15, 59, 59), "hotline", "out_of_scope", "out_of_scope"),
        // Midnight of 4 December, local.
        log(at(3, 16, 0, 0), "wechat", "heating_period", "answer"),
        log(at(4, 3, 0, 0), "counter", "not_warm", "answer"),
        // Midnight of 5 December: after the period.
        log(at(4, 16, 0, 0), "wechat", "not_warm", "answer"),
        // The week before the period's last seven days.
        log(at(25, 0, 0, 0), "wechat", "heating_period", "answer"),
        log(at(26, 0, 0, 0), "wechat", "heating_period", "answer"),
    ] {
        app.state.storage.log_classification(&c).await.unwrap();
    }

    // Five residents wrote in the period (one more before it); three went to a person.
    for (user, when) in [
        ("o-a", at(3, 0, 59, 0)),
        ("o-b", at(3, 1, 59, 0)),
        ("o-c", at(3, 3, 0, 0)),
        ("o-f", at(4, 0, 59, 0)),
        ("o-g", at(4, 15, 59, 0)),
        ("o-before", at(2, 15, 0, 0)),
    ] {
        let line = TranscriptLine::new(when, Direction::In, "sample".to_owned());
        app.state.conversations.append(user, &[line]).await.unwrap();
    }
    let store = handoff::store_for(&app.state.db);
    let (li, wang) = (agent_id(app, "agent").await, agent_id(app, "agent2").await);
    // (user, reason, opened, seconds to claim, closed by and after, rating)
    let handoffs = [
        (
            "o-a",
            EscalationReason::Requested,
            at(3, 1, 0, 0),
            60,
            Some((li, 600, 5)),
        ),
        (
            "o-b",
            EscalationReason::Complaint,
            at(3, 2, 0, 0),
            300,
            Some((wang, 900, 2)),
        ),
        (
            "o-f",
            EscalationReason::Requested,
            at(4, 1, 0, 0),
            120,
            None,
        ),
    ];
    for (user, reason, opened, wait, closed) in handoffs {
        let id = store
            .open(&NewHandoff {
                user: user.to_owned(),
                reason,
                priority: 0,
                intent: None,
                confidence: None,
                snapshot: Default::default(),
                at: opened,
            })
            .await
            .unwrap()
            .id;
        let by = closed.map_or(li, |(by, _, _)| by);
        assert!(store
            .claim(id, by, opened + Duration::seconds(wait))
            .await
            .unwrap());
        if let Some((by, after, rating)) = closed {
            let when = opened + Duration::seconds(after);
            assert!(store.close(id, by, "answered", "", when).await.unwrap());
            assert!(store.rate(id, rating, when).await.unwrap());
        }
    }

    // Complaints: one closed in time, one closed late (never contacted in time), one open
    // past its contact deadline, one open in time.
    let c = &app.state.complaints;
    let case =
        |key: &str, district: &str, opened: DateTime<Utc>, contact: i64, resolve: i64| NewCase {
            source_key: key.to_owned(),
            user: Some(format!("o-{key}")),
            account: None,
            district: Some(district.to_owned()),
            words: "sample".to_owned(),
            category: Category::Unsorted,
            channel: Channel::Wechat,
            owner: None,
            handoff: None,
            opened_at: opened,
            contact_by: opened + Duration::hours(contact),
            resolve_by: opened + Duration::days(resolve),
            author: None,
        };
    let who = Actor {
        id: li,
        name: "li".to_owned(),
    };
    let (k1, _) = c
        .store
        .open(&case("k1", "海勃湾区", at(3, 1, 0, 0), 24, 7))
        .await
        .unwrap();
    let (k2, _) = c
        .store
        .open(&case("k2", "乌达区", at(3, 2, 0, 0), 1, 7))
        .await
        .unwrap();
    c.store
        .open(&case("k3", "海勃湾区", at(4, 2, 0, 0), 1, 7))
        .await
        .unwrap();
    c.store
        .open(&case("k4", "海勃湾区", at(4, 4, 0, 0), 24, 7))
        .await
        .unwrap();
    c.clock.pin(at(3, 5, 0, 0));
    c.act(k1.id, &who, Action::Close("done".to_owned()))
        .await
        .unwrap();
    c.clock.pin(at(4, 1, 0, 0));
    c.act(k2.id, &who, Action::Close("done".to_owned()))
        .await
        .unwrap();
    c.clock.pin(at(4, 6, 0, 0));
    c.act(
        k1.id,
        &who,
        Action::FollowUp {
            satisfaction: 4,
            note: String::new(),
        },
    )
    .await
    .unwrap();
    c.clock.pin(judged());
}

/// Many classifications logged at the same moment go in shared statements on PostgreSQL
/// (`migrations/postgres/0022_cheaper_plans.sql` counts a statement's rows per group): the
/// running counts still add every one of them.
#[tokio::test]
async fn classifications_logged_at_once_are_each_counted_on_both_backends() {
    for (app, _fake) in apps().await {
        let log = |h: u32, intent: &str, decision: &str| {
            sample_log(at(3, h, 0, 0), "wechat", intent, decision)
        };
        // 40 answers of one intent in one hour, 10 clarifications two hours later.
        let logs: Vec<_> = (0..50)
            .map(|i| {
                if i % 5 == 4 {
                    log(4, "heating_period", "clarify")
                } else {
                    log(2, "not_warm", "answer")
                }
            })
            .collect();
        // In two rounds: the second's groups add to counts the first one wrote.
        for round in logs.chunks(25) {
            let logged = round
                .iter()
                .map(|c| app.state.storage.log_classification(c));
            for r in futures_util::future::join_all(logged).await {
                r.unwrap();
            }
        }
        let reports = Reports::new(app.state.db.clone(), app.state.settings.commitments.clone());
        let f = reports
            .figures(&Period::new(day(3), day(3), None).unwrap(), judged())
            .await
            .unwrap();
        let backend = app.state.storage.backend();
        assert_eq!(
            f.volume,
            vec![DayCount {
                day: day(3),
                key: "wechat".to_owned(),
                n: 50
            }],
            "{backend:?}"
        );
        // 02:00 and 04:00 UTC are 10:00 and 12:00 local.
        assert_eq!(f.by_hour, vec![(10, 40), (12, 10)], "{backend:?}");
        assert_eq!(
            f.top_intents,
            vec![("not_warm".to_owned(), 40)],
            "{backend:?}"
        );
        assert_eq!(f.understanding[0].total, 50, "{backend:?}");
        assert_eq!(f.understanding[0].clarified, 10, "{backend:?}");
    }
}

#[tokio::test]
async fn every_figure_matches_the_seeded_data_on_both_backends() {
    for (app, _fake) in apps().await {
        seed(&app).await;
        let reports = Reports::new(app.state.db.clone(), app.state.settings.commitments.clone());
        let period = Period::new(day(3), day(4), None).unwrap();
        let f = reports.figures(&period, judged()).await.unwrap();
        let count = |d, k: &str, n| DayCount {
            day: day(d),
            key: k.to_owned(),
            n,
        };
        assert_eq!(
            f.volume,
            vec![
                count(3, "hotline", 1),
                count(3, "wechat", 2),
                count(4, "counter", 1),
                count(4, "wechat", 1),
            ],
            "{:?}",
            app.state.storage.backend()
        );
        // Local hours: 00:00 twice (either side of the period's midnight), 11, 18, 23.
        assert_eq!(f.by_hour, vec![(0, 2), (11, 1), (18, 1), (23, 1)]);
        // Last seven days: not_warm 3 (one of them before the period), heating_period 1; the
        // seven before: heating_period 2.
        assert_eq!(f.rising, vec![("not_warm".to_owned(), 3, 0)]);
        assert_eq!(
            f.top_intents,
            vec![("not_warm".to_owned(), 2), ("heating_period".to_owned(), 1)]
        );
        assert_eq!(
            f.understanding,
            vec![
                Understanding {
                    day: day(3),
                    total: 3,
                    unanswered: 1,
                    clarified: 1
                },
                Understanding {
                    day: day(4),
                    total: 2,
                    unanswered: 0,
                    clarified: 0
                },
            ]
        );
        assert_eq!(
            f.self_service,
            SelfService {
                residents: 5,
                handed_over: 3
            }
        );
        assert_eq!(f.self_service.share(), Some(40.0));
        assert_eq!(
            f.handoff_reasons,
            vec![("requested".to_owned(), 2), ("complaint".to_owned(), 1)]
        );
        assert_eq!(
            f.wait,
            Wait {
                claimed: 3,
                p50: Some(120),
                p90: Some(300)
            }
        );
        assert_eq!(
            f.agents,
            vec![
                AgentFigures {
                    agent: "客服 李娜".to_owned(),
                    closed: 1,
                    rated: 1,
                    rating_sum: 5,
                    first_response_p50: None,
                    handling_p50: Some(540),
                },
                AgentFigures {
                    agent: "客服 王强".to_owned(),
                    closed: 1,
                    rated: 1,
                    rating_sum: 2,
                    first_response_p50: None,
                    handling_p50: Some(600),
                },
            ]
        );
        assert_eq!(
            f.complaints,
            ComplaintFigures {
                opened: 4,
                closed_in_time: 1,
                closed_late: 1,
                open: 2,
                overdue: 1,
                followed_up: 1,
                satisfaction_sum: 4
            }
        );

        // Complaints of one district.
        let district = Period::new(day(3), day(4), Some("海勃湾区".to_owned())).unwrap();
        let f = reports.figures(&district, judged()).await.unwrap();
        assert_eq!(
            f.complaints,
            ComplaintFigures {
                opened: 3,
                closed_in_time: 1,
                closed_late: 0,
                open: 2,
                overdue: 1,
                followed_up: 1,
                satisfaction_sum: 4
            }
        );

        // One local day: 4 December starts at 16:00 UTC on the 3rd.
        let one = Period::new(day(4), day(4), None).unwrap();
        let f = reports.figures(&one, judged()).await.unwrap();
        assert_eq!(
            f.volume,
            vec![count(4, "counter", 1), count(4, "wechat", 1)]
        );
        assert_eq!(f.wait.claimed, 1);
        assert_eq!(f.complaints.opened, 2);
    }
}

/// What the first data set leaves empty or unnarrowed: an agent's first answer after
/// taking over (a private note is no answer), ratings per reason, how handoffs were closed,
/// and the district filter on residents, handoffs and waits (through bound accounts).
#[tokio::test]
async fn first_answers_ratings_and_the_district_filter_match_the_seeded_data_on_both_backends() {
    for (app, _fake) in apps().await {
        seed(&app).await;
        let conversations = &app.state.conversations;
        // o-a's handoff was claimed at 01:01:00; the agent answered at 01:02:30.
        let mut answer = TranscriptLine::new(at(3, 1, 2, 30), Direction::Out, "sample");
        answer.author = Some("agent".to_owned());
        conversations.append("o-a", &[answer]).await.unwrap();
        let mut note = TranscriptLine::new(at(3, 2, 6, 0), Direction::Out, "note");
        note.author = Some("agent2".to_owned());
        note.delivery = Some("note".to_owned());
        conversations.append("o-b", &[note]).await.unwrap();
        // o-a and o-c live in 海勃湾区, o-b in 乌达区; o-f bound nothing.
        for (user, account) in [
            ("o-a", "10010001"),
            ("o-c", "10010003"),
            ("o-b", "20020001"),
        ] {
            let no = AccountNo::parse(account).unwrap();
            conversations.bind(user, &no, at(2, 0, 0, 0)).await.unwrap();
        }
        // Forms: o-a's suspension carried out; o-b left an inspection at the date; o-c's
        // inspection silent at the confirmation since 10:00 local (past the 30 minutes at
        // judging time); o-f's suspension still running at 19:50 local.
        let form = |intent: &str, action: &str, step: &str, at, outcome| FormRun {
            seq: 1,
            intent: IntentId::parse(intent.to_owned()).unwrap(),
            action: Some(action.to_owned()),
            step: step.to_owned(),
            at,
            outcome,
        };
        let runs = [
            (
                "o-a",
                form("suspension", "suspension", "account", at(3, 1, 30, 0), None),
            ),
            (
                "o-a",
                form(
                    "suspension",
                    "suspension",
                    "confirm",
                    at(3, 1, 35, 0),
                    Some(FormOutcome::Finished),
                ),
            ),
            (
                "o-b",
                form(
                    "not_warm",
                    "inspection",
                    "date",
                    at(3, 3, 0, 0),
                    Some(FormOutcome::Abandoned),
                ),
            ),
            (
                "o-c",
                form("not_warm", "inspection", "confirm", at(4, 2, 0, 0), None),
            ),
            (
                "o-f",
                form("suspension", "suspension", "offer", at(4, 11, 50, 0), None),
            ),
        ];
        for (user, run) in &runs {
            conversations.record_form(user, run).await.unwrap();
        }
        // Two versions published in the period: one through the gate (250 of 280 right), one
        // without it.
        let version = "INSERT INTO phrasebook_versions (number, digest, doc, author, summary, \
             gate, published_at) VALUES ($1, 'seed', '', 'seed', 'seed', $2, $3)";
        let gate = Some(r#"{"total": 280, "before_correct": 240, "after_correct": 250}"#);
        for (number, gate, published) in [(90, gate, at(3, 5, 0, 0)), (91, None, at(4, 6, 0, 0))] {
            match &app.state.db {
                heatdesk::storage::Database::Sqlite(pool) => {
                    let q = sqlx::query(version).bind(number).bind(gate).bind(published);
                    q.execute(pool).await.unwrap();
                }
                heatdesk::storage::Database::Postgres(pool) => {
                    let q = sqlx::query(version).bind(number).bind(gate).bind(published);
                    q.execute(pool).await.unwrap();
                }
            }
        }
        let reports = Reports::new(app.state.db.clone(), app.state.settings.commitments.clone());
        let started = |action: &str, started, finished, abandoned| FormFigures {
            action: action.to_owned(),
            started,
            finished,
            abandoned,
        };
        let left = |action: &str, step: &str| AbandonedAt {
            action: action.to_owned(),
            step: step.to_owned(),
            n: 1,
        };

        let all = Period::new(day(3), day(4), None).unwrap();
        let f = reports.figures(&all, judged()).await.unwrap();
        let first: Vec<_> = f
            .agents
            .iter()
            .map(|a| (a.agent.as_str(), a.first_response_p50))
            .collect();
        assert_eq!(first, vec![("客服 李娜", Some(90)), ("客服 王强", None)]);
        let rating = |reason: &str, sum| ReasonRatings {
            reason: reason.to_owned(),
            rated: 1,
            rating_sum: sum,
        };
        assert_eq!(
            f.ratings,
            vec![rating("complaint", 2), rating("requested", 5)]
        );
        assert_eq!(f.resolutions, vec![("answered".to_owned(), 2)]);
        let versions: Vec<_> = f
            .versions
            .iter()
            .map(|v| (v.number, v.published_at, v.gate))
            .collect();
        assert_eq!(
            versions,
            vec![
                (90, at(3, 5, 0, 0), Some((280, 250))),
                (91, at(4, 6, 0, 0), None)
            ]
        );
        // The office's inbox: the clarified and the out-of-scope question of the 3rd.
        assert_eq!(
            f.inbox,
            vec![InboxDay {
                day: day(3),
                arrived: 2,
                settled: 0
            }]
        );
        assert_eq!(
            f.forms,
            vec![
                started("inspection", 2, 0, 2),
                started("suspension", 2, 1, 0)
            ]
        );
        assert_eq!(
            f.abandoned,
            vec![left("inspection", "confirm"), left("inspection", "date")]
        );

        let haibowan = Period::new(day(3), day(4), Some("海勃湾区".to_owned())).unwrap();
        let f = reports.figures(&haibowan, judged()).await.unwrap();
        assert_eq!(
            f.self_service,
            SelfService {
                residents: 2,
                handed_over: 1
            }
        );
        assert_eq!(f.handoff_reasons, vec![("requested".to_owned(), 1)]);
        assert_eq!(
            f.forms,
            vec![
                started("inspection", 1, 0, 1),
                started("suspension", 1, 1, 0)
            ]
        );
        assert_eq!(f.abandoned, vec![left("inspection", "confirm")]);
        assert_eq!(
            f.wait,
            Wait {
                claimed: 1,
                p50: Some(60),
                p90: Some(60)
            }
        );
        let wuda = Period::new(day(3), day(4), Some("乌达区".to_owned())).unwrap();
        let f = reports.figures(&wuda, judged()).await.unwrap();
        assert_eq!(
            f.self_service,
            SelfService {
                residents: 1,
                handed_over: 1
            }
        );
        assert_eq!(f.handoff_reasons, vec![("complaint".to_owned(), 1)]);
        assert_eq!(f.resolutions, vec![("answered".to_owned(), 1)]);
    }
}

#[tokio::test]
async fn the_page_draws_the_figures_and_gives_them_as_csv() {
    let (app, _fake) = apps().await.remove(0);
    seed(&app).await;
    let manager = DeskClient::login(&app, "manager", crate::desk::DEMO_PASSWORD).await;
    let page = manager
        .page("/desk/reports?from=2026-12-03&to=2026-12-04")
        .await;
    for label in [
        "data-category=\"12-03\" data-series=\"微信\">2</text>",
        "data-category=\"12-03\" data-series=\"热线\">1</text>",
        "data-category=\"12-04\" data-series=\"柜台\">1</text>",
        "data-series=\"未答复率\">33.3%</text>",
        "data-category=\"p90\" data-series=\"秒\">300</text>",
        "data-category=\"客服 王强\" data-series=\"平均评分\">2</text>",
        "data-category=\"已超时\" data-series=\"数量\">1</text>",
    ] {
        assert!(page.contains(label), "{label} not in the page");
    }
    let csv = manager
        .get("/desk/reports/volume.csv?from=2026-12-03&to=2026-12-04")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("volume-2026-12-03-2026-12-04.csv"));
    assert_eq!(
        csv.text().await.unwrap(),
        "\u{feff}日期,柜台,热线,微信\r\n2026-12-03,0,1,2\r\n2026-12-04,1,0,1\r\n"
    );
    let csv = manager
        .get("/desk/reports/complaints.csv?from=2026-12-03&to=2026-12-04&district=%E6%B5%B7%E5%8B%83%E6%B9%BE%E5%8C%BA")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.ends_with("\r\n3,1,0,2,1,1,4.00\r\n"), "{csv}");
    assert_eq!(manager.get("/desk/reports/nothing.csv").await.status(), 404);
    assert_eq!(
        manager
            .get("/desk/reports?from=2026-12-05&to=2026-12-01")
            .await
            .status(),
        400
    );
    // Agents and station staff do not read the reports.
    for name in ["agent", "station"] {
        let who = DeskClient::login(&app, name, crate::desk::DEMO_PASSWORD).await;
        assert_eq!(who.get("/desk/reports").await.status(), 403, "{name}");
    }
    let curator = DeskClient::login(&app, "curator", crate::desk::DEMO_PASSWORD).await;
    curator.page("/desk/reports").await;
}

/// Station jobs against `[commitments]`: done in time, done late, open past the standard.
#[tokio::test]
async fn station_jobs_are_measured_against_the_committed_standards() {
    use heatdesk::reports::{OnlineFigures, OverdueRequest, StationFigures};
    use heatdesk::service::RequestKind;
    for (app, _fake) in apps().await {
        // (id, account, kind, status, requested, done)
        let jobs = [
            (
                "R1",
                "10010001",
                "repair",
                "completed",
                at(3, 1, 0, 0),
                Some(at(3, 20, 0, 0)),
            ),
            (
                "R2",
                "10010001",
                "repair",
                "completed",
                at(2, 16, 30, 0),
                Some(at(4, 11, 0, 0)),
            ),
            (
                "R3",
                "10010002",
                "leak",
                "completed",
                at(3, 3, 0, 0),
                Some(at(3, 9, 0, 0)),
            ),
            (
                "R4",
                "10010003",
                "inspection",
                "work_order_issued",
                at(3, 4, 0, 0),
                None,
            ),
            ("R5", "20020001", "leak", "submitted", at(4, 1, 0, 0), None),
            // Before the period.
            ("R6", "20020001", "leak", "submitted", at(2, 15, 0, 0), None),
        ];
        let (insert, event) = (
            "INSERT INTO requests (id, account_no, kind, status, urgent, created_at, details, \
             idem_key) VALUES ($1, $2, $3, $4, false, $5, '{}', $6)",
            "INSERT INTO request_events (request_id, at, status) VALUES ($1, $2, $3)",
        );
        for (id, account, kind, status, requested, done) in jobs {
            // R1 and R5 were made in the chat: the dialogue's idempotency keys.
            let key = if matches!(id, "R1" | "R5") {
                format!("{}{id}", heatdesk::dialogue::REQUEST_KEY_PREFIX)
            } else {
                id.to_owned()
            };
            match &app.state.db {
                heatdesk::storage::Database::Sqlite(pool) => {
                    let q = sqlx::query(insert).bind(id).bind(account).bind(kind);
                    let q = q.bind(status).bind(requested).bind(&key);
                    q.execute(pool).await.unwrap();
                    if let Some(done) = done {
                        let q = sqlx::query(event).bind(id).bind(done).bind("completed");
                        q.execute(pool).await.unwrap();
                    }
                }
                heatdesk::storage::Database::Postgres(pool) => {
                    let q = sqlx::query(insert).bind(id).bind(account).bind(kind);
                    let q = q.bind(status).bind(requested).bind(&key);
                    q.execute(pool).await.unwrap();
                    if let Some(done) = done {
                        let q = sqlx::query(event).bind(id).bind(done).bind("completed");
                        q.execute(pool).await.unwrap();
                    }
                }
            }
        }
        let reports = Reports::new(app.state.db.clone(), app.state.settings.commitments.clone());
        let period = Period::new(day(3), day(4), None).unwrap();
        let f = reports.figures(&period, judged()).await.unwrap();
        let row = |district: &str, kind, hours, requests, in_time, late, overdue| StationFigures {
            district: district.to_owned(),
            kind,
            standard_hours: hours,
            requests,
            done_in_time: in_time,
            done_late: late,
            overdue,
        };
        assert_eq!(
            f.stations,
            vec![
                row("乌达区", RequestKind::Leak, 4, 1, 0, 0, 1),
                row("海勃湾区", RequestKind::Repair, 48, 2, 2, 0, 0),
                row("海勃湾区", RequestKind::Inspection, 72, 1, 0, 0, 0),
                row("海勃湾区", RequestKind::Leak, 4, 1, 0, 1, 0),
            ]
        );
        assert_eq!(
            f.overdue_requests,
            vec![OverdueRequest {
                id: "R5".to_owned(),
                kind: RequestKind::Leak,
                district: "乌达区".to_owned(),
                created_at: at(4, 1, 0, 0),
            }]
        );
        let online = |kind: &str, requests, online, online_completed| OnlineFigures {
            kind: kind.to_owned(),
            requests,
            online,
            online_completed,
        };
        assert_eq!(
            f.online,
            vec![
                online("inspection", 1, 0, 0),
                online("leak", 2, 1, 0),
                online("repair", 2, 1, 1),
            ]
        );
        let one = Period::new(day(3), day(4), Some("乌达区".to_owned())).unwrap();
        let f = reports.figures(&one, judged()).await.unwrap();
        assert_eq!(f.online, vec![online("leak", 1, 1, 0)]);
        assert_eq!(f.stations.len(), 1);
        assert_eq!(f.overdue_requests.len(), 1);

        // The page lists the overdue job (red) and gives the table as CSV.
        app.state.complaints.clock.pin(judged());
        let manager = DeskClient::login(&app, "manager", crate::desk::DEMO_PASSWORD).await;
        let page = manager
            .page("/desk/reports?from=2026-12-03&to=2026-12-04")
            .await;
        assert!(page.contains("class=\"overdue\" data-id=\"R5\""), "{page}");
        let csv = manager
            .get("/desk/reports/stations.csv?from=2026-12-03&to=2026-12-04")
            .await
            .text()
            .await
            .unwrap();
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows.len(), 6, "{csv}");
        assert!(
            rows[1].starts_with("乌达区,") && rows[1].ends_with(",4,1,0,0,1"),
            "{csv}"
        );
        assert!(rows[2].ends_with(",48,2,2,0,0"), "{csv}");
    }
}
