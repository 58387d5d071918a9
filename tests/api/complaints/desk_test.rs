//! Agents work complaint cases at the desk; managers read and change nothing.

use heatdesk::complaints::{CaseStatus, Category, EventKind, Listing};
use heatdesk::handoff;

use super::{deadlines, t0};
use crate::desk::{desk_app_with, DeskClient, Resident, DEMO_PASSWORD};

#[tokio::test]
async fn an_agent_marks_a_conversation_as_a_complaint_works_it_closes_it_and_follows_up() {
    let (app, fake) = desk_app_with(deadlines).await;
    let resident = Resident::new(&app.state, "o-marked-complaint");
    fake.touch_user(&resident.user);
    resident.says("转人工").await;
    resident.says("我家暖气片上面热下面凉").await;
    let h = handoff::store_for(&app.state.db).queue().await.unwrap()[0].clone();
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let res = agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(page.contains("id=\"mark-complaint\""), "{page}");

    app.state.complaints.clock.pin(t0());
    let res = agent
        .post(&format!("/desk/handoffs/{}/complaint", h.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    // Marking it again opens nothing new.
    let again = agent
        .post(&format!("/desk/handoffs/{}/complaint", h.id), &[])
        .await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), to);
    let cases = app
        .state
        .complaints
        .store
        .list(Listing::Open)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    let case = cases[0].clone();
    assert_eq!(to, format!("/desk/complaints/{}", case.id));
    assert!(case.words.contains("上面热下面凉"), "{}", case.words);
    assert!(case.words.contains("转人工"), "{}", case.words);
    assert_eq!(case.handoff, Some(h.id));
    assert_eq!(case.owner_name.as_deref(), Some("客服 李娜"));
    // The resident is told the number and the deadlines, once, as a message from the agent.
    fake.wait_for_messages(1, std::time::Duration::from_secs(10))
        .await;
    let told = fake.texts_to(&resident.user);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains(&case.number()), "{told:?}");
    assert!(told[0].contains("2026-12-04 13:30"), "{told:?}");

    // The case page: number, words, conversation, deadlines, the forms.
    let page = agent.page(&to).await;
    assert!(page.contains(&case.number()), "{page}");
    assert!(page.contains("上面热下面凉"));
    assert!(
        page.contains("2026-12-04 13:30"),
        "contact by, local time: {page}"
    );
    assert!(page.contains("id=\"close-case\""));

    let path = |what: &str| format!("{to}/{what}");
    for (what, form) in [
        ("note", vec![("text", "已联系站点核实")]),
        ("category", vec![("category", "repair")]),
        ("contacted", vec![("note", "电话联系居民，约定明天上门")]),
    ] {
        let res = agent.post(&path(what), &form).await;
        assert_eq!(res.status(), 303, "{what}");
    }
    // Contacted once: a second time is refused, not recorded twice.
    let res = agent.post(&path("contacted"), &[("note", "")]).await;
    assert_eq!(res.status(), 409);
    let res = agent
        .post(&path("category"), &[("category", "nonsense")])
        .await;
    assert_eq!(res.status(), 400);

    // A follow-up before closing is refused.
    let res = agent
        .post(&path("follow-up"), &[("satisfaction", "5"), ("note", "")])
        .await;
    assert_eq!(res.status(), 409);
    let res = agent
        .post(&path("close"), &[("outcome", "已上门检测，室温达标")])
        .await;
    assert_eq!(res.status(), 303);
    let res = agent.post(&path("close"), &[("outcome", "again")]).await;
    assert_eq!(res.status(), 409, "closed once");
    let res = agent
        .post(&path("follow-up"), &[("satisfaction", "9"), ("note", "")])
        .await;
    assert_eq!(res.status(), 400);

    // Two days after closing the follow-up call is due and listed.
    app.state
        .complaints
        .clock
        .pin(t0() + chrono::Duration::days(2) + chrono::Duration::minutes(1));
    let list = agent.page("/desk/complaints/list").await;
    let calls = list
        .split("data-group=\"follow-up\"")
        .nth(1)
        .and_then(|s| s.split("data-group=").next())
        .unwrap();
    assert!(
        calls.contains(&format!("data-id=\"{}\"", case.id)),
        "{list}"
    );
    let res = agent
        .post(
            &path("follow-up"),
            &[("satisfaction", "4"), ("note", "居民表示满意")],
        )
        .await;
    assert_eq!(res.status(), 303);

    let done = app
        .state
        .complaints
        .store
        .get(case.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, CaseStatus::Closed);
    assert_eq!(done.category, Category::Repair);
    assert_eq!(done.outcome.as_deref(), Some("已上门检测，室温达标"));
    assert_eq!(done.satisfaction, Some(4));
    assert_eq!(done.follow_up_note.as_deref(), Some("居民表示满意"));
    assert!(done.closed_in_time());
    let kinds: Vec<EventKind> = app
        .state
        .complaints
        .store
        .events(case.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Opened,
            EventKind::Note,
            EventKind::Categorised,
            EventKind::Contacted,
            EventKind::Closed,
            EventKind::FollowedUp
        ]
    );
    let page = agent.page(&to).await;
    assert!(page.contains("data-satisfaction=\"4\""), "{page}");
    assert!(
        page.contains("已联系站点核实"),
        "the note is in the timeline"
    );
}

#[tokio::test]
async fn a_manager_reads_complaints_and_changes_nothing_and_station_staff_see_none() {
    let (app, _fake) = desk_app_with(deadlines).await;
    let (case, _) = app
        .state
        .complaints
        .open(
            "o-manager",
            "窗口说下班就下班",
            "k-manager",
            None,
            None,
            t0(),
        )
        .await
        .unwrap();
    let manager = DeskClient::login(&app, "manager", DEMO_PASSWORD).await;
    let page = manager.page(&format!("/desk/complaints/{}", case.id)).await;
    assert!(page.contains(&case.number()));
    assert!(!page.contains("id=\"close-case\""), "no forms for a reader");
    manager.page("/desk/complaints").await;
    for (what, form) in [
        ("take", vec![]),
        ("note", vec![("text", "x")]),
        ("contacted", vec![("note", "")]),
        ("category", vec![("category", "staff")]),
        ("close", vec![("outcome", "x")]),
        ("follow-up", vec![("satisfaction", "5")]),
    ] {
        let res = manager
            .post(&format!("/desk/complaints/{}/{what}", case.id), &form)
            .await;
        assert_eq!(res.status(), 403, "{what}");
    }
    // Nor anything else at the desk.
    for path in ["/desk/queue", "/desk/orders", "/desk/office", "/desk/users"] {
        assert_eq!(manager.get(path).await.status(), 403, "{path}");
    }
    let events = app.state.complaints.store.events(case.id).await.unwrap();
    assert_eq!(events.len(), 1, "nothing recorded: {events:?}");

    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    assert_eq!(station.get("/desk/complaints").await.status(), 403);
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let res = curator
        .post(&format!("/desk/complaints/{}/take", case.id), &[])
        .await;
    assert_eq!(res.status(), 303, "the office works cases too");
}
