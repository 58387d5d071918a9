//! The office's page, driven over HTTP as a browser would.

use chrono::{Duration as Age, Utc};
use heatdesk::desk::users::{self, NewUser, Role};
use heatdesk::domain::EscalationReason;
use heatdesk::handoff::{self, NewHandoff, Snapshot};

use super::{desk_app, DeskClient, Resident, DEMO_PASSWORD};
use crate::helpers::{all_databases, TestApp};

fn text(app: &TestApp, id: &str, args: &[(&str, &str)]) -> String {
    let args: Vec<_> = args
        .iter()
        .map(|(k, v)| (*k, fluent_bundle::FluentValue::from(v.to_string())))
        .collect();
    app.state.locales.text("zh-CN", id, &args)
}

/// Text the classifier cannot place: no intent, no entity.
const NONSENSE: &str = "紫色长颈鹿在月亮上弹钢琴吗";

/// A resident asks for a person, an agent takes and closes it, the resident rates it.
async fn rated_handoff(app: &TestApp, fake: &wechat_mp::testing::FakeWeChat, rating: &str) -> i64 {
    let resident = Resident::new(&app.state, "o-office-rated");
    fake.touch_user(&resident.user);
    resident.says("转人工").await;
    let store = handoff::store_for(&app.state.db);
    let h = store.open_for(&resident.user).await.unwrap().unwrap();
    let (agent, _) = users::store_for(&app.state.db)
        .by_name("agent")
        .await
        .unwrap()
        .unwrap();
    assert!(store.claim(h.id, agent.id, Utc::now()).await.unwrap());
    assert!(
        handoff::close(&app.state, &h, agent.id, "referred", "", Utc::now())
            .await
            .unwrap()
    );
    resident.says(rating).await;
    let closed = store.get(h.id).await.unwrap().unwrap();
    assert_eq!(
        closed.rating,
        Some(rating.parse().unwrap()),
        "the rating was taken"
    );
    h.id
}

#[tokio::test]
async fn the_office_sees_unanswered_questions_ratings_and_the_phrasebook() {
    let (app, fake) = desk_app().await;
    Resident::new(&app.state, "o-x").says(NONSENSE).await;
    // A personal number in a question reaches the office masked.
    let res = app
        .client
        .post(app.url("/api/v1/classify"))
        .json(&serde_json::json!({"text": "13912345678 紫色长颈鹿会唱歌吗"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = rated_handoff(&app, &fake, "4").await;

    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office").await;

    // The unanswered question, with its best guess.
    let unanswered = section(&page, "unanswered");
    assert!(unanswered.contains(NONSENSE), "{unanswered}");
    assert!(
        unanswered.contains(&text(&app, "desk-office-decision-out-of-scope", &[])),
        "{unanswered}"
    );
    assert!(!page.contains("13912345678"), "the phone number is masked");
    assert!(unanswered.contains("紫色长颈鹿会唱歌吗"));
    // A question the bot answered is not the office's worry.
    Resident::new(&app.state, "o-y")
        .says("暖气费多少钱一平米")
        .await;
    let page = curator.page("/desk/office").await;
    assert!(!section(&page, "unanswered").contains("暖气费多少钱一平米"));

    // The handoff: counted by reason and resolution, rated, listed as closed.
    let stats = section(&page, "handoff-stats");
    assert!(stats.contains("data-reason=\"requested\">1<"), "{stats}");
    assert!(stats.contains("data-resolution=\"referred\">1<"), "{stats}");
    assert!(stats.contains("data-rating=\"4\">1<"), "{stats}");
    assert!(stats.contains("data-rating=\"5\">0<"), "{stats}");
    assert!(
        stats.contains(&text(
            &app,
            "desk-office-average",
            &[("average", "4.0"), ("count", "1")]
        )),
        "{stats}"
    );
    let closed = section(&page, "closed");
    let row = closed
        .split(&format!("data-id=\"{id}\""))
        .nth(1)
        .expect("the closed handoff is listed");
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("客服 李娜"), "{row}");
    assert!(
        row.contains(&text(&app, "desk-resolution-referred", &[])),
        "{row}"
    );
    assert!(row.contains(">4<"), "{row}");

    // The live phrasebook.
    let engine = app.state.engine.current();
    let catalog = engine.catalog();
    let phrasebook = section(&page, "phrasebook");
    assert!(phrasebook.contains(&catalog.version), "{phrasebook}");
    assert!(
        phrasebook.contains(&format!(">{}<", catalog.published().count())),
        "{phrasebook}"
    );
}

/// The HTML of `<section id="…">`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn handoff_stats_count_the_period_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    for db in all_databases(dir.path()).await {
        let agent = users::store_for(&db)
            .create(
                &NewUser {
                    name: "a1".into(),
                    display_name: "A1".into(),
                    role: Role::Agent,
                    area: None,
                },
                "not-a-real-hash",
            )
            .await
            .unwrap();
        let store = handoff::store_for(&db);
        let now = Utc::now();
        let handoff_at = |user: &str, reason: EscalationReason, days_ago: i64| NewHandoff {
            user: user.to_owned(),
            reason,
            priority: 10,
            intent: None,
            confidence: None,
            snapshot: Snapshot::default(),
            at: now - Age::days(days_ago),
        };
        let cases = [
            ("u1", EscalationReason::Complaint, 1, Some(("answered", 5))),
            ("u2", EscalationReason::Complaint, 2, Some(("answered", 2))),
            ("u3", EscalationReason::Requested, 3, Some(("duplicate", 0))),
            ("u4", EscalationReason::Urgent, 4, None),
            // Older than the period: not counted.
            ("u5", EscalationReason::Requested, 40, Some(("answered", 1))),
        ];
        for (user, reason, days, close) in cases {
            let new = handoff_at(user, reason, days);
            let id = store.open(&new).await.unwrap().id;
            let Some((resolution, rating)) = close else {
                continue;
            };
            assert!(store.claim(id, agent.id, new.at).await.unwrap());
            assert!(store
                .close(id, agent.id, resolution, "", new.at)
                .await
                .unwrap());
            if rating > 0 {
                assert!(store.rate(id, rating, new.at).await.unwrap());
            }
        }
        let stats = store.stats(now - Age::days(30)).await.unwrap();
        assert_eq!(
            stats.by_reason,
            [
                (EscalationReason::Complaint, 2),
                (EscalationReason::Requested, 1),
                (EscalationReason::Urgent, 1),
            ],
            "{:?}",
            db.backend()
        );
        assert_eq!(
            stats.by_resolution,
            [("answered".to_owned(), 2), ("duplicate".to_owned(), 1)]
        );
        assert_eq!(stats.ratings, [0, 1, 0, 0, 1]);
        assert_eq!(stats.rated(), 2);
        assert_eq!(stats.average_rating(), Some(3.5));
        let empty = store.stats(now + Age::days(1)).await.unwrap();
        assert!(empty.by_reason.is_empty() && empty.by_resolution.is_empty());
        assert_eq!(empty.average_rating(), None);
    }
}
