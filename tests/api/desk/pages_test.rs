//! The office's page and the admin's user page, driven over HTTP as a browser would, and
//! both read on a phone in Chromium.

use std::time::Duration;

use chrono::{Duration as Age, Utc};
use heatdesk::desk::users::{self, NewUser, Role};
use heatdesk::domain::EscalationReason;
use heatdesk::handoff::{self, NewHandoff, Snapshot};
use reqwest::header;

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
    assert!(app
        .state
        .handoffs
        .close(&h, agent.id, "referred", "", Utc::now())
        .await
        .unwrap());
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

async fn user_id(app: &TestApp, name: &str) -> i64 {
    users::store_for(&app.state.db)
        .by_name(name)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

fn location(res: &reqwest::Response) -> String {
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_adds_a_user_who_can_then_sign_in() {
    let (app, _fake) = desk_app().await;
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let page = admin.page("/desk/users").await;
    assert!(page.contains("data-name=\"agent\""), "the users are listed");
    assert!(
        page.contains("action=\"/desk/users\""),
        "the add form is there"
    );

    let form = [
        ("name", "zhao.min"),
        ("display_name", "客服 赵敏"),
        ("role", "agent"),
        ("area", ""),
        ("password", "long-enough-1"),
    ];
    let res = admin.post("/desk/users", &form).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with("/desk/users?done=created"), "{to}");
    let page = admin.page(&to).await;
    assert!(
        page.contains(&text(
            &app,
            "desk-users-done-created",
            &[("name", "zhao.min")]
        )),
        "{page}"
    );
    assert!(page.contains("data-name=\"zhao.min\""));

    let (user, _) = users::store_for(&app.state.db)
        .by_name("zhao.min")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::Agent);
    assert_eq!(user.display_name, "客服 赵敏");
    assert_eq!(user.area, None);
    let zhao = DeskClient::login(&app, "zhao.min", "long-enough-1").await;
    assert_eq!(zhao.get("/desk/queue").await.status(), 200);
    assert_eq!(zhao.get("/desk/users").await.status(), 403, "an agent only");

    // The same name again: the page says why and keeps what was typed.
    let res = admin
        .post(
            "/desk/users",
            &[
                ("name", "zhao.min"),
                ("display_name", "另一个赵敏"),
                ("role", "curator"),
                ("area", ""),
                ("password", "long-enough-2"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&text(&app, "desk-users-error-exists", &[])),
        "{page}"
    );
    assert!(page.contains("value=\"另一个赵敏\""), "{page}");
    assert!(page.contains("value=\"curator\" selected"), "{page}");
    assert!(
        !page.contains("long-enough-2"),
        "a password is never echoed"
    );
    assert!(DeskClient::try_login(&app, "zhao.min", "long-enough-2")
        .await
        .is_none());
}

#[tokio::test]
async fn a_user_the_form_refuses_is_not_created() {
    let (app, _fake) = desk_app().await;
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let before = users::store_for(&app.state.db).list().await.unwrap().len();
    let cases = [
        (
            "zhang san",
            "张三",
            "agent",
            "long-enough-1",
            "desk-users-error-name",
        ),
        (
            "zhang",
            "  ",
            "agent",
            "long-enough-1",
            "desk-users-error-display-name",
        ),
        (
            "zhang",
            "张三",
            "boss",
            "long-enough-1",
            "desk-users-error-role",
        ),
        (
            "zhang",
            "张三",
            "agent",
            "short",
            "desk-users-error-password",
        ),
    ];
    for (name, display, role, password, error) in cases {
        let res = admin
            .post(
                "/desk/users",
                &[
                    ("name", name),
                    ("display_name", display),
                    ("role", role),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{error}");
        let page = res.text().await.unwrap();
        let message = text(&app, error, &[("min", "8")]);
        assert!(page.contains(&message), "{error}: {page}");
    }
    assert_eq!(
        users::store_for(&app.state.db).list().await.unwrap().len(),
        before
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_until_enabled() {
    let (app, _fake) = desk_app().await;
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let agent2 = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    assert_eq!(agent2.get("/desk/queue").await.status(), 200);
    let id = user_id(&app, "agent2").await;

    let res = admin.post(&format!("/desk/users/{id}/disable"), &[]).await;
    assert_eq!(res.status(), 303);
    let res = agent2.get("/desk/queue").await;
    assert_eq!(res.status(), 303, "the open session is over");
    assert!(location(&res).starts_with("/desk/login"));
    assert!(DeskClient::try_login(&app, "agent2", DEMO_PASSWORD)
        .await
        .is_none());
    let page = admin.page("/desk/users").await;
    assert!(page.contains(&format!(
        "data-id=\"{id}\" data-name=\"agent2\" data-disabled=\"true\""
    )));
    assert!(page.contains(&format!("action=\"/desk/users/{id}/enable\"")));

    let res = admin.post(&format!("/desk/users/{id}/enable"), &[]).await;
    assert_eq!(res.status(), 303);
    let back = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    assert_eq!(back.get("/desk/queue").await.status(), 200);

    // Only an admin may, and only users that exist.
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let res = agent.post(&format!("/desk/users/{id}/disable"), &[]).await;
    assert_eq!(res.status(), 403);
    let res = admin.post("/desk/users/99999/disable", &[]).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn an_admin_cannot_disable_themself() {
    let (app, _fake) = desk_app().await;
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let id = user_id(&app, "admin").await;
    let page = admin.page("/desk/users").await;
    assert!(
        !page.contains(&format!("action=\"/desk/users/{id}/disable\"")),
        "no button to lock oneself out"
    );
    let res = admin.post(&format!("/desk/users/{id}/disable"), &[]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&text(&app, "desk-users-error-yourself", &[])),
        "{page}"
    );
    assert_eq!(
        admin.get("/desk/users").await.status(),
        200,
        "still signed in"
    );
    assert!(
        !users::store_for(&app.state.db)
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
}

/// On a 412-pixel phone neither page scrolls sideways nor squeezes a column: wide tables
/// become cards.
#[tokio::test]
async fn the_office_and_user_pages_fit_a_phone() {
    let Some(b) = crate::browser::browser().await else {
        return;
    };
    let (app, fake) = desk_app().await;
    Resident::new(&app.state, "o-phone").says(NONSENSE).await;
    rated_handoff(&app, &fake, "5").await;
    for (name, path, marker) in [
        ("curator", "/desk/office", "#closed"),
        ("admin", "/desk/users", "#add-user"),
    ] {
        b.goto(&app.url("/desk/login")).await;
        b.fill("#name", name).await;
        b.fill("#password", DEMO_PASSWORD).await;
        b.click("#login").await;
        b.wait_for("header.top", Duration::from_secs(10)).await;
        b.goto(&app.url(path)).await;
        b.wait_for(marker, Duration::from_secs(5)).await;
        let widths = b
            .client()
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth,
                    Math.min(...[...document.querySelectorAll('main td')]
                        .filter(td => td.offsetParent && td.textContent.trim())
                        .map(td => td.getBoundingClientRect().width))];",
                vec![],
            )
            .await
            .unwrap();
        let px = |i: usize| widths[i].as_f64().unwrap();
        let (scroll, inner, narrowest) = (px(0), px(1), px(2));
        assert!(
            scroll <= inner,
            "{path} is {scroll}px wide on a {inner}px phone"
        );
        // A squeezed column breaks even two-character words over two lines.
        assert!(
            narrowest >= 100.0,
            "{path} has a {narrowest}px column on a {inner}px phone"
        );
        b.screenshot(&format!("desk-{name}-phone")).await;
        b.click("header.top button.link").await;
        b.wait_for("#login", Duration::from_secs(10)).await;
    }
    b.close().await;
}
