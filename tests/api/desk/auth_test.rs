//! Who may open what: anonymous requests are refused, each role sees its own pages, every
//! form needs the CSRF token, and desk users come from the command line or demo mode.

use reqwest::header;

use super::{desk_app, no_redirects, DeskClient, DEMO_PASSWORD};
use crate::helpers::spawn_app_with;

/// Every desk page, with the role it belongs to.
const PAGES: &[(&str, &str)] = &[
    ("/desk/queue", "agent"),
    ("/desk/queue/list", "agent"),
    ("/desk/hotline", "agent"),
    ("/desk/hotline/results?text=x", "agent"),
    ("/desk/orders", "station"),
    ("/desk/orders/list", "station"),
    ("/desk/office", "curator"),
    ("/desk/office/inbox", "curator"),
    ("/desk/office/entries", "curator"),
    ("/desk/office/entries?q=营业厅", "curator"),
    ("/desk/office/entries/hall_info.halls", "curator"),
    ("/desk/office/entries/new?intent=hall_info", "curator"),
    ("/desk/office/try?text=营业厅在哪", "curator"),
    ("/desk/office/intents", "curator"),
    ("/desk/office/facts", "curator"),
    ("/desk/office/changes", "curator"),
    ("/desk/office/versions", "curator"),
    ("/desk/office/versions/diff?a=1&b=1", "curator"),
    ("/desk/office/handbook", "curator"),
    ("/desk/office/handbook.csv", "curator"),
    ("/desk/office/audit", "admin"),
    ("/desk/users", "admin"),
];

#[tokio::test]
async fn anonymous_requests_are_sent_to_the_login_or_refused() {
    let (app, _fake) = desk_app().await;
    let client = no_redirects();
    for path in PAGES
        .iter()
        .map(|(p, _)| *p)
        .chain(["/desk", "/desk/events", "/desk/handoffs/1"])
    {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        let to = res.headers()[header::LOCATION].to_str().unwrap();
        assert!(to.starts_with("/desk/login?next="), "{path} → {to}");
    }
    // Without a session (and without the login cookie) a post is refused before anything.
    for path in [
        "/desk/handoffs/1/claim",
        "/desk/handoffs/1/reply",
        "/desk/orders/R20261124001/step",
        "/desk/logout",
        "/desk/users",
        "/desk/users/1/disable",
    ] {
        let res = client
            .post(app.url(path))
            .form(&[("text", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn each_role_sees_only_its_pages() {
    let (app, _fake) = desk_app().await;
    for name in ["agent", "station", "curator", "admin"] {
        let desk = DeskClient::login(&app, name, DEMO_PASSWORD).await;
        for (path, role) in PAGES {
            let res = desk.get(path).await;
            let allowed = *role == name || name == "admin";
            let expected = if allowed { 200 } else { 403 };
            assert_eq!(res.status(), expected, "{name} GET {path}");
        }
    }
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let (app, _fake) = desk_app().await;
    super::Resident::new(&app.state, "o-csrf")
        .says("转人工")
        .await;
    let id = heatdesk::handoff::store_for(&app.state.db)
        .open_for("o-csrf")
        .await
        .unwrap()
        .unwrap()
        .id;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let path = format!("/desk/handoffs/{id}/claim");
    let res = agent.post_raw(&path, &[]).await;
    assert_eq!(res.status(), 403);
    let res = agent.post_raw(&path, &[("_csrf", "forged")]).await;
    assert_eq!(res.status(), 403);
    // Another session's token is no good either.
    let other = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    let res = agent
        .post_raw(&path, &[("_csrf", other.csrf.as_str())])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        heatdesk::handoff::store_for(&app.state.db)
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        heatdesk::handoff::Status::Waiting,
        "nothing happened"
    );
    // With it, the claim goes through.
    assert_eq!(agent.post(&path, &[]).await.status(), 303);
}

#[tokio::test]
async fn wrong_passwords_fail_and_signing_out_ends_the_session() {
    let (app, _fake) = desk_app().await;
    assert!(DeskClient::try_login(&app, "agent", "wrong-password")
        .await
        .is_none());
    assert!(DeskClient::try_login(&app, "nobody", DEMO_PASSWORD)
        .await
        .is_none());
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    assert_eq!(agent.get("/desk/queue").await.status(), 200);
    assert_eq!(agent.post("/desk/logout", &[]).await.status(), 303);
    assert_eq!(
        agent.get("/desk/queue").await.status(),
        303,
        "the old cookie opens nothing"
    );
}

#[tokio::test]
async fn without_demo_mode_there_are_no_sample_users() {
    let app = spawn_app_with(|s| {
        s.demo = false;
        s.service.token = heatdesk::config::Secret::new("svc-token");
    })
    .await;
    assert!(DeskClient::try_login(&app, "agent", DEMO_PASSWORD)
        .await
        .is_none());
    assert!(heatdesk::desk::users::store_for(&app.state.db)
        .list()
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn pages_speak_the_chosen_language() {
    let (app, _fake) = desk_app().await;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let zh = agent.page("/desk/queue").await;
    let title = |locale: &str| app.state.locales.text(locale, "desk-queue-title", &[]);
    assert!(zh.contains(&title("zh-CN")));
    let res = agent.get("/desk/lang/en").await;
    assert_eq!(res.status(), 303);
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("heatdesk_lang=en;"), "{set}");
    let en = agent
        .client
        .get(app.url("/desk/queue"))
        .header(
            header::COOKIE,
            format!("{}; heatdesk_lang=en", agent.cookie),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains(&title("en")) && !en.contains(&title("zh-CN")),
        "{en}"
    );
    assert!(en.contains("<html lang=\"en\""));
    // An unknown language is refused, not stored.
    assert_eq!(agent.get("/desk/lang/xx").await.status(), 404);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_user_for_a_while() {
    let (app, _fake) = desk_app().await;
    for _ in 0..4 {
        assert!(DeskClient::try_login(&app, "agent", "guess-1234")
            .await
            .is_none());
    }
    // A success resets the count…
    DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    for _ in 0..4 {
        assert!(DeskClient::try_login(&app, "agent", "guess-1234")
            .await
            .is_none());
    }
    DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    // …five in a row lock, even against the right password.
    for _ in 0..5 {
        assert!(DeskClient::try_login(&app, "agent", "guess-1234")
            .await
            .is_none());
    }
    assert!(DeskClient::try_login(&app, "agent", DEMO_PASSWORD)
        .await
        .is_none());
    // The page a refused sign-in lands on tells a locked user to wait or ask an admin, with
    // the numbers the lock uses, and is the same for a name that does not exist.
    let client = super::no_redirects();
    let page = client
        .get(app.url("/desk/login?failed=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let told = app.state.locales.text(
        "zh-CN",
        "desk-login-failed",
        &[
            ("attempts", fluent_bundle::FluentValue::from("5")),
            ("minutes", fluent_bundle::FluentValue::from("15")),
        ],
    );
    assert!(page.contains(&told), "{page}");
    assert!(told.contains('5') && told.contains("15"));
    assert!(DeskClient::try_login(&app, "nobody-here", "guess-1234")
        .await
        .is_none());
    // Other users are not affected.
    DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;

    // The admin sees the lock and lifts it; only an admin may.
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let page = admin.page("/desk/users").await;
    assert!(
        page.contains("class=\"failed locked\""),
        "the lock is shown"
    );
    let id = heatdesk::desk::users::store_for(&app.state.db)
        .by_name("agent")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let agent2 = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    let path = format!("/desk/users/{id}/unlock");
    assert_eq!(agent2.post(&path, &[]).await.status(), 403);
    assert!(DeskClient::try_login(&app, "agent", DEMO_PASSWORD)
        .await
        .is_none());
    assert_eq!(admin.post(&path, &[]).await.status(), 303);
    DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    assert_eq!(
        admin.post("/desk/users/99999/unlock", &[]).await.status(),
        404
    );
}

/// Sessions are kept in memory a moment after each lookup; what this instance changes is
/// honoured at once, what another instance changes within the kept time. Both backends.
#[tokio::test]
async fn a_session_ended_here_is_refused_at_once_and_one_ended_elsewhere_soon_after() {
    use chrono::{Duration as Days, Utc};
    use heatdesk::desk::users::store_kept_for;
    use std::time::Duration;

    let mut apps = vec![desk_app().await];
    if let Some(url) = crate::helpers::fresh_postgres().await {
        apps.push(
            super::desk_app_with(|s| s.database_url = heatdesk::config::Secret::new(url)).await,
        );
    }
    for (app, _fake) in apps {
        let db = &app.state.db;
        // This instance keeps sessions for an hour (so nothing below expires by time);
        // the other one is another process on the same database.
        let here = store_kept_for(db, Duration::from_secs(3600));
        let elsewhere = store_kept_for(db, Duration::from_millis(200));
        let agent = here.by_name("agent").await.unwrap().unwrap().0;
        let now = Utc::now();
        let open = |token: &'static str| {
            let here = here.clone();
            async move {
                here.create_session(token, agent.id, "csrf", now, now + Days::hours(8))
                    .await
                    .unwrap();
                assert!(here.session(token, now).await.unwrap().is_some(), "{token}");
            }
        };

        // Signed out here: refused at once.
        open("t-signed-out").await;
        here.end_session("t-signed-out").await.unwrap();
        assert_eq!(here.session("t-signed-out", now).await.unwrap(), None);

        // Signed out on another instance: still known here until it is read again, which
        // the other instance does after its kept time.
        open("t-elsewhere").await;
        assert!(elsewhere
            .session("t-elsewhere", now)
            .await
            .unwrap()
            .is_some());
        here.end_session("t-elsewhere").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(elsewhere.session("t-elsewhere", now).await.unwrap(), None);

        // An expired session is refused even while kept.
        open("t-expiring").await;
        let later = now + Days::hours(9);
        assert_eq!(here.session("t-expiring", later).await.unwrap(), None);

        // A new password and a disabled user end the user's sessions here at once.
        open("t-password").await;
        let hash = heatdesk::desk::users::hash_password("another-password").unwrap();
        here.set_password(agent.id, &hash).await.unwrap();
        assert_eq!(here.session("t-password", now).await.unwrap(), None);
        open("t-disabled").await;
        here.set_disabled(agent.id, true).await.unwrap();
        assert_eq!(here.session("t-disabled", now).await.unwrap(), None);
    }
}
