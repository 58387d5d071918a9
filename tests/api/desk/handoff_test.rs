//! From the bot to a person and back: the queue, the silent bot, agent replies through
//! WeChat's customer-service API, closing and the resident's rating.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use heatdesk::domain::EscalationReason;
use heatdesk::handoff::{self, Status};

use super::{desk_app, desk_app_with, restart, DeskClient, Resident, DEMO_PASSWORD};
use crate::helpers::spawn_app_with;

fn text(app: &crate::helpers::TestApp, id: &str, args: &[(&str, &str)]) -> String {
    let args: Vec<_> = args
        .iter()
        .map(|(k, v)| (*k, fluent_bundle::FluentValue::from(v.to_string())))
        .collect();
    app.state.locales.text("zh-CN", id, &args)
}

#[tokio::test]
async fn an_agent_takes_over_answers_through_wechat_closes_and_is_rated() {
    let (app, fake) = desk_app().await;
    let resident = Resident::new(&app.state, "o-handoff-1");
    fake.touch_user(&resident.user);

    // The resident asks for a person: told the wait, queued with the reason.
    let out = resident.says("转人工").await;
    let queued = text(
        &app,
        "handoff-queued",
        &[("position", "1"), ("minutes", "3")],
    );
    assert!(out.replies.contains(&queued), "{:?}", out.replies);
    let store = handoff::store_for(&app.state.db);
    let queue = store.queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    let h = &queue[0];
    assert_eq!(h.status, Status::Waiting);
    assert_eq!(h.reason, EscalationReason::Requested);
    assert_eq!(h.intent.as_ref().unwrap().as_str(), "human_agent");

    // While waiting, the bot still answers.
    let out = resident.says("暖气费多少钱一平米").await;
    assert!(
        !out.replies.is_empty(),
        "the bot answers while the resident waits"
    );

    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let queue_page = agent.page("/desk/queue").await;
    assert!(
        queue_page.contains(&format!("data-id=\"{}\"", h.id)),
        "{queue_page}"
    );
    let res = agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(res.status(), 303);

    // A second agent is too late: the queue says so, not a dead-end page.
    let other = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    let res = other
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&text(&app, "desk-claim-taken", &[])),
        "{page}"
    );
    assert!(page.contains("id=\"queue\""), "the queue is right there");
    // The filters: the first agent's own, and the waiting ones (none now).
    let mine = agent.page("/desk/queue/list?show=mine").await;
    assert!(mine.contains(&format!("data-id=\"{}\"", h.id)));
    let theirs = other.page("/desk/queue/list?show=mine").await;
    assert!(!theirs.contains(&format!("data-id=\"{}\"", h.id)));
    let waiting = other.page("/desk/queue/list?show=unassigned").await;
    assert!(!waiting.contains(&format!("data-id=\"{}\"", h.id)));
    let all = other.page("/desk/queue/list?show=all").await;
    assert!(all.contains(&format!("data-id=\"{}\"", h.id)));

    // Now the bot is silent; the message reaches the agent's screen.
    let out = resident.says("我家暖气一直不热，报修了也没人来").await;
    assert!(
        out.replies.is_empty(),
        "the bot keeps quiet: {:?}",
        out.replies
    );
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(page.contains("我家暖气一直不热，报修了也没人来"));
    // The context: why, what the bot understood, and suggested standard replies.
    assert!(page.contains(&text(&app, "desk-reason-requested", &[])));
    // What the bot understood reads as the intent's title in the page's language.
    let understood = page
        .split("class=\"understood\"")
        .nth(1)
        .and_then(|s| s.split("</span>").next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        understood.contains("data-intent=\"human_agent\"") || understood.contains("data-intent="),
        "{understood}"
    );
    assert!(
        !understood.contains(">human_agent ") && !understood.contains(">not_warm "),
        "titles, not ids: {understood}"
    );
    let not_warm = app
        .state
        .engine
        .current()
        .catalog()
        .published()
        .filter(|e| e.intent.as_str() == "not_warm")
        .map(|e| {
            app.state
                .engine
                .current()
                .catalog()
                .rendered_reply(e)
                .for_channel(heatdesk::domain::Channel::Wechat)
        })
        .collect::<Vec<_>>();
    assert!(
        not_warm.iter().any(|r| page.contains(&maud_escape(r))),
        "a not-warm standard reply is suggested"
    );

    // The agent's reply goes out as a customer-service message and is marked sent.
    let res = agent
        .post(
            &format!("/desk/handoffs/{}/reply", h.id),
            &[("text", "您好，我是客服李娜，马上为您安排维修师傅。")],
        )
        .await;
    assert_eq!(res.status(), 303);
    fake.wait_for_messages(1, Duration::from_secs(10)).await;
    assert_eq!(
        fake.texts_to(&resident.user),
        vec!["您好，我是客服李娜，马上为您安排维修师傅。".to_owned()]
    );
    let lines = heatdesk::transcript::store_for(&app.state.db)
        .transcript(&resident.user)
        .await
        .unwrap();
    let sent = lines.last().unwrap();
    assert_eq!(sent.delivery.as_deref(), Some("sent"));
    assert_eq!(sent.author.as_deref(), Some("客服 李娜"));

    // Closing gives the conversation back and asks for a rating.
    let res = agent
        .post(
            &format!("/desk/handoffs/{}/close", h.id),
            &[("resolution", "answered"), ("note", "")],
        )
        .await;
    assert_eq!(res.status(), 303);
    fake.wait_for_messages(2, Duration::from_secs(10)).await;
    let prompt = text(&app, "handoff-rating-prompt", &[]);
    assert_eq!(fake.texts_to(&resident.user).last(), Some(&prompt));
    let out = resident.says("5").await;
    assert_eq!(out.replies, vec![text(&app, "handoff-rating-thanks", &[])]);
    let closed = store.get(h.id).await.unwrap().unwrap();
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.rating, Some(5));
    assert_eq!(closed.resolution.as_deref(), Some("answered"));

    // And the bot answers again.
    let out = resident.says("暖气费多少钱一平米").await;
    assert!(!out.replies.is_empty());
}

/// maud escapes `&`, `<`, `>`, `"`; the standard replies have few of those.
fn maud_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn leaks_and_complaints_are_served_first() {
    let (app, _fake) = desk_app().await;
    Resident::new(&app.state, "o-asks")
        .says("我要人工客服")
        .await;
    Resident::new(&app.state, "o-complains")
        .says("我要投诉你们的维修工态度恶劣")
        .await;
    Resident::new(&app.state, "o-leaks")
        .says("家里暖气片漏水了，水流了一地")
        .await;
    let queue = handoff::store_for(&app.state.db).queue().await.unwrap();
    let order: Vec<_> = queue.iter().map(|h| (h.user.as_str(), h.reason)).collect();
    assert_eq!(
        order,
        vec![
            ("o-leaks", EscalationReason::Urgent),
            ("o-complains", EscalationReason::Complaint),
            ("o-asks", EscalationReason::Requested),
        ]
    );
    // Asking again joins the open handoff rather than queueing twice.
    let again = Resident::new(&app.state, "o-asks").says("人工").await;
    assert_eq!(
        handoff::store_for(&app.state.db)
            .queue()
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(!again.replies.iter().any(|r| r.contains(&text(
        &app,
        "handoff-queued",
        &[("position", "3"), ("minutes", "9")]
    ))));
}

#[tokio::test]
async fn out_of_hours_the_resident_hears_when_the_desk_opens() {
    let app = spawn_app_with(|s| {
        s.handoff.hours.open = "08:00".into();
        s.handoff.hours.close = "18:00".into();
        s.handoff.hours.days = vec![1, 2, 3, 4, 5];
    })
    .await;
    // Saturday 28 November 2026, 23:00 in Wuhai: next opening is Monday 08:00.
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).unwrap();
    let out = Resident::new(&app.state, "o-night")
        .says_at("转人工", at)
        .await;
    let expected = text(
        &app,
        "handoff-after-hours",
        &[
            ("open", "08:00"),
            ("close", "18:00"),
            ("opens", "11-30 08:00"),
        ],
    );
    assert!(out.replies.contains(&expected), "{:?}", out.replies);
    // It waits in the queue for the morning.
    assert_eq!(
        handoff::store_for(&app.state.db)
            .queue()
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn repeated_negative_words_hand_the_resident_over() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-angry");
    r.says("你们服务太差了，暖气费怎么交").await;
    assert!(handoff::store_for(&app.state.db)
        .queue()
        .await
        .unwrap()
        .is_empty());
    r.says("真是气死我了 交费渠道有哪些").await;
    let queue = handoff::store_for(&app.state.db).queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].reason, EscalationReason::Negative);
}

#[tokio::test]
async fn reasons_left_out_of_the_settings_are_only_recorded() {
    let (app, _fake) = desk_app_with(|s| {
        s.handoff.reasons = vec![EscalationReason::Urgent];
    })
    .await;
    let r = Resident::new(&app.state, "o-ask");
    let out = r.says("转人工").await;
    assert_eq!(out.escalation.unwrap().reason, EscalationReason::Requested);
    assert!(handoff::store_for(&app.state.db)
        .queue()
        .await
        .unwrap()
        .is_empty());
    let recorded = heatdesk::transcript::store_for(&app.state.db)
        .escalations("o-ask")
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
}

#[tokio::test]
async fn a_delivery_outside_the_window_is_shown_as_failed() {
    let (app, fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-old");
    // The resident last wrote three days ago.
    r.says_at("转人工", Utc::now() - chrono::Duration::days(3))
        .await;
    let h = handoff::store_for(&app.state.db)
        .open_for("o-old")
        .await
        .unwrap()
        .unwrap();
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(page.contains(&text(&app, "desk-window-closed", &[])));
    agent
        .post(
            &format!("/desk/handoffs/{}/reply", h.id),
            &[("text", "您好，还在吗？")],
        )
        .await;
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(
        page.contains(&text(&app, "desk-delivery-failed-window", &[])),
        "{page}"
    );
    assert!(fake.texts_to("o-old").is_empty());
}

#[tokio::test]
async fn queue_claims_and_transcripts_survive_a_restart() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-restart");
    r.says("我要投诉").await;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let h = handoff::store_for(&app.state.db)
        .open_for("o-restart")
        .await
        .unwrap()
        .unwrap();
    agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    Resident::new(&app.state, "o-waiting").says("人工").await;

    let again = restart(app.dir(), super::always_open).await;
    let store = handoff::store_for(&again.db);
    let queue = store.queue().await.unwrap();
    assert_eq!(queue.len(), 2);
    let claimed = queue.iter().find(|q| q.id == h.id).unwrap();
    assert_eq!(claimed.status, Status::Claimed);
    assert_eq!(claimed.agent.as_deref(), Some("客服 李娜"));
    let lines = heatdesk::transcript::store_for(&again.db)
        .transcript("o-restart")
        .await
        .unwrap();
    assert!(lines.iter().any(|l| l.text == "我要投诉"));
    // The bot stays silent for the claimed resident after the restart, too.
    let out = Resident::new(&again, "o-restart").says("还在吗").await;
    assert!(out.replies.is_empty());
}

#[tokio::test]
async fn instances_sharing_postgres_see_each_others_desk_events() {
    let Some(url) = crate::helpers::fresh_postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let build = || {
        let mut s = crate::helpers::settings(dir.path());
        s.database_url = heatdesk::config::Secret::new(url.clone());
        super::always_open(&mut s);
        heatdesk::app::AppState::build(s)
    };
    let a = build().await.unwrap();
    let b = build().await.unwrap();
    let mut on_b = b.events.subscribe();
    // A resident's message handled by instance A…
    Resident::new(&a, "o-two-instances").says("转人工").await;
    // …reaches screens connected to instance B.
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if on_b.recv().await.unwrap() == handoff::DeskEvent::Queue {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "B hears of A's handoff");
    a.events.close();
    b.events.close();
}

/// A utility answering in WeChat's own customer-service tool gets the transfer reply
/// instead of heatdesk's queue.
#[tokio::test]
async fn with_transfer_customer_service_wechat_takes_the_resident() {
    let (app, fake) = super::desk_app_with(|s| {
        s.handoff.transfer_customer_service = true;
        s.handoff.kf_account = "kf2001@heating".into();
    })
    .await;
    let r = super::browser_test::WeChatResident::new(&app, &fake, "o-transfer");
    let xml = wechat_mp::testing::CallbackClient::text_message(
        &r.user,
        "转人工",
        77,
        chrono::Utc::now().timestamp(),
    );
    let (parts, body) = r.client.push(&xml).into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let res = app
        .client
        .request(parts.method, app.url(&parts.uri.to_string()))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let body = res.bytes().await.unwrap();
    assert_eq!(
        r.client.read_reply(&body).unwrap().reply,
        wechat_mp::Reply::TransferCustomerService {
            kf_account: Some("kf2001@heating".into())
        }
    );
    assert!(handoff::store_for(&app.state.db)
        .queue()
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_context_shows_the_form_its_slots_and_the_accounts_state() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-context");
    // 10010002 is a demo account with arrears.
    let no = heatdesk::service::AccountNo::parse("10010002").unwrap();
    heatdesk::transcript::store_for(&app.state.db)
        .bind(&r.user, &no, Utc::now())
        .await
        .unwrap();
    r.says("我要报修，想换个暖气片").await;
    r.says("明天上午").await;
    let out = r.says("转人工").await;
    assert!(out.escalation.is_some(), "{:?}", out.replies);
    let h = handoff::store_for(&app.state.db)
        .open_for(&r.user)
        .await
        .unwrap()
        .unwrap();
    assert!(h.snapshot.form.is_some(), "{:?}", h.snapshot);
    assert!(!h.snapshot.intents.is_empty());
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    // The queue card names the resident by the bound account, masked.
    let queue = agent.page("/desk/queue/list").await;
    let named = app.state.locales.text(
        "zh-CN",
        "desk-resident-account",
        &[("account", fluent_bundle::FluentValue::from("****0002"))],
    );
    assert!(queue.contains(&named), "{queue}");
    assert!(!queue.contains("10010002"), "masked");
    agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(page.contains("data-account=\"10010002\""), "{page}");
    assert!(page.contains("class=\"arrears\""), "the arrears are shown");
    for (slot, value) in &h.snapshot.slots {
        assert!(page.contains(slot.as_str()) && page.contains(value.as_str()));
    }
    // The recognised intents with their confidence.
    let first = &h.snapshot.intents[0];
    assert!(page.contains(&format!("{:.0}%", first.confidence * 100.0)));

    // Release puts it back; another agent takes it and transfers it back.
    let res = agent
        .post(&format!("/desk/handoffs/{}/release", h.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let store = handoff::store_for(&app.state.db);
    assert_eq!(
        store.get(h.id).await.unwrap().unwrap().status,
        Status::Waiting
    );
    let other = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    other
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    let agent_id = heatdesk::desk::users::store_for(&app.state.db)
        .by_name("agent")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    // Only the owner may reply or transfer.
    let res = agent
        .post(&format!("/desk/handoffs/{}/reply", h.id), &[("text", "hi")])
        .await;
    assert_eq!(res.status(), 409);
    let res = other
        .post(
            &format!("/desk/handoffs/{}/transfer", h.id),
            &[("to", agent_id.to_string().as_str())],
        )
        .await;
    assert_eq!(res.status(), 303);
    let now = store.get(h.id).await.unwrap().unwrap();
    assert_eq!(now.claimed_by, Some(agent_id));
    assert_eq!(now.status, Status::Claimed);
}

/// A resident who asked for a person, their handoff, and an agent signed in at the desk.
async fn queued(
    user: &str,
) -> (
    crate::helpers::TestApp,
    wechat_mp::testing::FakeWeChat,
    Resident,
    handoff::Handoff,
    DeskClient,
) {
    let (app, fake) = desk_app().await;
    let resident = Resident::new(&app.state, user);
    resident.says("转人工").await;
    fake.touch_user(&resident.user);
    let h = handoff::store_for(&app.state.db)
        .open_for(&resident.user)
        .await
        .unwrap()
        .unwrap();
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    (app, fake, resident, h, agent)
}

/// Handoff `id`'s card in a queue list, from its id on (empty when not listed).
fn card_of(page: &str, id: i64) -> String {
    page.split(&format!("data-id=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split("</li>").next())
        .map(|c| format!("data-id=\"{id}\"{c}"))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_private_note_stays_on_the_desk_and_never_reaches_the_resident() {
    let (app, fake, resident, h, agent) = queued("o-note").await;
    // The card says what the resident last wrote and how much waits unanswered.
    resident.says("我的电话是13904737007，家里暖气不热").await;
    let card = |page: &str| card_of(page, h.id);
    let queue = agent.page("/desk/queue/list").await;
    assert!(queue.contains("data-unread=\"2\""), "{queue}");
    let before = card(&queue);
    assert!(before.contains("家里暖气不热"), "{before}");
    assert!(
        !before.contains("13904737007"),
        "masked on the card: {before}"
    );
    agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    let mut told = app.state.events.subscribe();
    let res = agent
        .post(
            &format!("/desk/handoffs/{}/reply", h.id),
            &[("text", "这位居民上周已来电，地址核实过"), ("note", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    assert!(page.contains("class=\"line note\""), "shown as a note");
    assert!(page.contains("这位居民上周已来电，地址核实过"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.texts_to(&resident.user).is_empty(),
        "nothing went to WeChat"
    );
    let window = app.state.handoffs.window(&resident.user).await.unwrap();
    // Open queue screens: a note changes no card, an answer does.
    let mut heard = Vec::new();
    while let Ok(e) = told.try_recv() {
        heard.push(e);
    }
    assert!(!heard.contains(&handoff::DeskEvent::Queue), "{heard:?}");
    let res = agent
        .post(
            &format!("/desk/handoffs/{}/reply", h.id),
            &[("text", "您好")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mut heard = Vec::new();
    while let Ok(e) = told.try_recv() {
        heard.push(e);
    }
    assert!(heard.contains(&handoff::DeskEvent::Queue), "{heard:?}");
    fake.wait_for_messages(1, Duration::from_secs(10)).await;
    assert_eq!(fake.texts_to(&resident.user), vec!["您好".to_owned()]);
    let after = app.state.handoffs.window(&resident.user).await.unwrap();
    assert_eq!(
        after.left,
        window.left - 1,
        "the note did not use the quota"
    );
    // A person answered: nothing waits unanswered any more (the note did not count).
    let queue = agent.page("/desk/queue/list").await;
    assert!(queue.contains("data-unread=\"0\""), "{queue}");
}

#[tokio::test]
async fn a_claim_is_on_the_next_list_and_a_resident_s_words_after_the_lag() {
    let (_app, _fake, resident, h, agent) = queued("o-card-lag").await;
    let card = |page: &str| card_of(page, h.id);
    let first = card(&agent.page("/desk/queue/list").await);
    assert!(first.contains("data-status=\"waiting\""), "{first}");

    // A resident's line is on the card at the latest once the lag has passed.
    resident.says("还有人在吗").await;
    tokio::time::sleep(handoff::WORDS_LAG).await;
    let later = card(&agent.page("/desk/queue/list").await);
    assert!(later.contains("还有人在吗"), "{later}");

    // A change of state is on the very next list, however recent the view it replaces.
    let kept = card(&agent.page("/desk/queue/list").await);
    assert!(kept.contains("data-status=\"waiting\""), "{kept}");
    let res = agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let claimed = card(&agent.page("/desk/queue/list").await);
    assert!(claimed.contains("data-status=\"claimed\""), "{claimed}");
}

fn line(
    direction: heatdesk::transcript::Direction,
    text: &str,
    author: Option<&str>,
    delivery: Option<&str>,
) -> heatdesk::transcript::TranscriptLine {
    heatdesk::transcript::TranscriptLine {
        id: 0,
        at: Utc::now(),
        direction,
        text: text.to_owned(),
        author: author.map(str::to_owned),
        intent: None,
        confidence: None,
        delivery: delivery.map(str::to_owned),
    }
}

#[tokio::test]
async fn the_queue_view_reads_the_top_its_glances_and_counts_on_every_backend() {
    use heatdesk::handoff::{NewHandoff, QueueFilter, Snapshot};
    use heatdesk::transcript::Direction::{In, Out};

    let dir = tempfile::tempdir().unwrap();
    for db in crate::helpers::all_databases(dir.path()).await {
        let agent = heatdesk::desk::users::store_for(&db)
            .create(
                &heatdesk::desk::users::NewUser {
                    name: "a1".into(),
                    display_name: "A1".into(),
                    role: heatdesk::desk::users::Role::Agent,
                    area: None,
                },
                "not-a-real-hash",
            )
            .await
            .unwrap();
        let store = handoff::store_for(&db);
        let lines = heatdesk::transcript::store_for(&db);
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let mut ids = Vec::new();
        for (i, (user, priority)) in [("u-low", 10), ("u-high", 80), ("u-mid", 50), ("u-gone", 90)]
            .into_iter()
            .enumerate()
        {
            let new = NewHandoff {
                user: user.to_owned(),
                reason: EscalationReason::Requested,
                priority,
                intent: None,
                confidence: None,
                snapshot: Snapshot::default(),
                at: t0 + chrono::Duration::minutes(i as i64),
            };
            ids.push(store.open(&new).await.unwrap().id);
        }
        let [low, high, mid, gone] = ids[..] else {
            unreachable!()
        };
        // u-gone's is closed: in no count.
        assert!(store.claim(gone, agent.id, t0).await.unwrap());
        assert!(store
            .close(gone, agent.id, "answered", "", t0)
            .await
            .unwrap());
        // u-mid is being helped by the agent.
        assert!(store.claim(mid, agent.id, t0).await.unwrap());

        // u-high wrote twice; a private note is no answer.
        for l in [
            line(In, "暖气不热", None, None),
            line(Out, "note", Some("a1"), Some("note")),
            line(In, "还是不热", None, None),
        ] {
            lines.append_line("u-high", &l).await.unwrap();
        }
        // u-mid was answered by a person, then wrote once more; the bot's lines do not count.
        for l in [
            line(In, "第一句", None, None),
            line(Out, "您好", Some("a1"), Some("sent")),
            line(Out, "bot", None, None),
            line(In, "谢谢", None, None),
        ] {
            lines.append_line("u-mid", &l).await.unwrap();
        }
        // Two accounts: the card names the one bound first.
        for (no, at) in [
            ("10010002", t0 + chrono::Duration::hours(1)),
            ("10010001", t0),
        ] {
            let no = heatdesk::service::AccountNo::parse(no).unwrap();
            assert!(lines.bind("u-mid", &no, at).await.unwrap());
        }

        let view = store.queue_view(QueueFilter::All, 2).await.unwrap();
        let backend = db.backend();
        assert_eq!(
            (view.waiting, view.open, view.listed),
            (2, 3, 3),
            "{backend:?}"
        );
        let order: Vec<_> = view.cards.iter().map(|c| c.id).collect();
        assert_eq!(order, [high, mid], "highest priority first, two asked for");
        let h = &view.cards[0];
        assert_eq!(h.last_words.as_deref(), Some("还是不热"));
        assert_eq!(
            (h.unread, h.account.as_deref(), h.status),
            (2, None, Status::Waiting)
        );
        let m = &view.cards[1];
        assert_eq!(m.last_words.as_deref(), Some("谢谢"));
        assert_eq!(m.unread, 1);
        assert_eq!(m.account.as_deref(), Some("10010001"));
        assert_eq!(
            (m.claimed_by, m.agent.as_deref()),
            (Some(agent.id), Some("A1"))
        );

        let waiting = store.queue_view(QueueFilter::Unassigned, 50).await.unwrap();
        let order: Vec<_> = waiting.cards.iter().map(|c| c.id).collect();
        assert_eq!((waiting.listed, order), (2, vec![high, low]));
        let low_card = &waiting.cards[1];
        assert_eq!((low_card.last_words.as_deref(), low_card.unread), (None, 0));
        // A resident who wrote more than the cap, nobody answering: the count stops there.
        for i in 0..=handoff::UNREAD_CAP {
            let l = line(In, &format!("第{i}句"), None, None);
            lines.append_line("u-low", &l).await.unwrap();
        }
        let waiting = store.queue_view(QueueFilter::Unassigned, 50).await.unwrap();
        let low_card = &waiting.cards[1];
        assert_eq!(low_card.unread, handoff::UNREAD_CAP);
        let last = format!("第{}句", handoff::UNREAD_CAP);
        assert_eq!(low_card.last_words.as_deref(), Some(last.as_str()));
        let mine = store
            .queue_view(QueueFilter::ClaimedBy(agent.id), 50)
            .await
            .unwrap();
        assert_eq!((mine.waiting, mine.open, mine.listed), (2, 3, 1));
        assert_eq!(mine.cards.iter().map(|c| c.id).collect::<Vec<_>>(), [mid]);
        let nobody = store
            .queue_view(QueueFilter::ClaimedBy(agent.id + 1), 50)
            .await
            .unwrap();
        assert!(nobody.cards.is_empty() && nobody.listed == 0);
    }
}

#[tokio::test]
async fn a_long_queue_lists_its_top_and_pages_on() {
    let (app, _fake) = desk_app().await;
    let store = handoff::store_for(&app.state.db);
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let mut ids = Vec::new();
    for i in 0..51 {
        let new = handoff::NewHandoff {
            user: format!("o-queue-{i:02}"),
            reason: EscalationReason::Requested,
            priority: 10,
            intent: None,
            confidence: None,
            snapshot: handoff::Snapshot::default(),
            at: t0 + chrono::Duration::seconds(i),
        };
        ids.push(store.open(&new).await.unwrap().id);
    }
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let cards = |page: &str| page.matches("class=\"card handoff\"").count();
    let page = agent.page("/desk/queue").await;
    assert_eq!(cards(&page), 50, "the first page");
    assert!(page.contains(&format!("data-id=\"{}\"", ids[49])));
    assert!(
        !page.contains(&format!("data-id=\"{}\"", ids[50])),
        "the newest waits for more"
    );
    let more = text(
        &app,
        "desk-queue-more",
        &[("shown", "50"), ("listed", "51")],
    );
    assert!(page.contains(&maud_escape(&more)), "{more}");
    assert!(
        page.contains("href=\"/desk/queue?show=all&amp;limit=100\""),
        "{page}"
    );
    // The summary still counts the whole queue.
    let summary = text(
        &app,
        "desk-queue-summary",
        &[("waiting", "51"), ("total", "51")],
    );
    assert!(page.contains(&maud_escape(&summary)), "{summary}");

    let page = agent.page("/desk/queue?show=all&limit=100").await;
    assert_eq!(cards(&page), 51);
    assert!(!page.contains("id=\"more\""), "nothing more to show");
    // The live refresh asks for as many cards as the screen shows.
    assert!(
        page.contains("data-src=\"/desk/queue/list?show=all&amp;limit=100\""),
        "{page}"
    );
    let list = agent.page("/desk/queue/list?show=unassigned&limit=3").await;
    assert_eq!(cards(&list), 3);
    assert!(
        list.contains("href=\"/desk/queue?show=unassigned&amp;limit=53\""),
        "{list}"
    );
}

#[tokio::test]
async fn a_kept_queue_view_is_read_again_after_a_desk_event_on_every_backend() {
    use heatdesk::handoff::{DeskEvent, Events, NewHandoff, QueueFilter, QueueViews, Snapshot};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let hour = Duration::from_secs(3600);
    for db in crate::helpers::all_databases(dir.path()).await {
        let store = handoff::store_for(&db);
        let events = Events::default();
        // Kept for an hour, and what residents do shown up to an hour late: within the
        // test only a change made at the desk makes it read again.
        let views = QueueViews::kept_for(hour, hour);
        let read = |filter, limit| views.read(store.as_ref(), &events, filter, limit);
        let first = read(QueueFilter::All, 50).await.unwrap();
        assert!(first.cards.is_empty());
        let opened = store
            .open(&NewHandoff {
                user: "o-kept".to_owned(),
                reason: EscalationReason::Requested,
                priority: 10,
                intent: None,
                confidence: None,
                snapshot: Snapshot::default(),
                at: Utc::now(),
            })
            .await
            .unwrap();
        // Nothing told the views: the same read is shown.
        let kept = read(QueueFilter::All, 50).await.unwrap();
        assert!(Arc::ptr_eq(&first, &kept), "{:?}", db.backend());
        // Another filter or length is a view of its own, read now.
        let waiting = read(QueueFilter::Unassigned, 10).await.unwrap();
        assert_eq!(waiting.cards.len(), 1);
        // A resident's message opened it, or wrote a line: may be shown late.
        events.publish_from_resident(DeskEvent::Queue);
        events.publish_from_resident(DeskEvent::Conversation(opened.id));
        let lagging = read(QueueFilter::All, 50).await.unwrap();
        assert!(Arc::ptr_eq(&first, &lagging), "{:?}", db.backend());
        // A change made at the desk: read again, with the new handoff.
        events.publish(DeskEvent::Queue);
        let after = read(QueueFilter::All, 50).await.unwrap();
        let ids: Vec<_> = after.cards.iter().map(|c| c.id).collect();
        assert_eq!((ids, after.waiting), (vec![opened.id], 1));
        // Kept again until the next event; a work order's or a complaint's moves no card.
        events.publish(DeskEvent::Orders);
        events.publish(DeskEvent::Complaints);
        events.publish(DeskEvent::ComplaintOverdue(1));
        let again = read(QueueFilter::All, 50).await.unwrap();
        assert!(Arc::ptr_eq(&after, &again));

        // Past the lag, a resident's line moves its card too.
        let prompt = QueueViews::kept_for(hour, Duration::ZERO);
        let read = |filter, limit| prompt.read(store.as_ref(), &events, filter, limit);
        let before = read(QueueFilter::All, 50).await.unwrap();
        assert!(Arc::ptr_eq(
            &before,
            &read(QueueFilter::All, 50).await.unwrap()
        ));
        events.publish_from_resident(DeskEvent::Conversation(opened.id));
        let later = read(QueueFilter::All, 50).await.unwrap();
        assert!(
            !Arc::ptr_eq(&before, &later),
            "a conversation's line moves its card too"
        );
    }
}

#[tokio::test]
async fn each_agent_reads_the_queue_list_made_for_their_session() {
    let (app, fake) = desk_app().await;
    let resident = Resident::new(&app.state, "o-lists-1");
    fake.touch_user(&resident.user);
    resident.says("转人工").await;
    let id = handoff::store_for(&app.state.db).queue().await.unwrap()[0].id;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let same_agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let other = DeskClient::login(&app, "agent2", DEMO_PASSWORD).await;
    let sessions = [&agent, &same_agent, &other];

    // Read one after another from one kept view: each claim form carries its own session's
    // token, never another's.
    for _ in 0..2 {
        for (i, me) in sessions.iter().enumerate() {
            let list = me.page("/desk/queue/list").await;
            assert!(list.contains(&format!("data-id=\"{id}\"")), "{list}");
            for (j, them) in sessions.iter().enumerate() {
                assert_eq!(
                    list.contains(&them.csrf),
                    i == j,
                    "session {i} read {j}'s token"
                );
            }
        }
    }

    // Claimed: only the claiming agent (in either session) is offered to open it.
    let res = agent.post(&format!("/desk/handoffs/{id}/claim"), &[]).await;
    assert_eq!(res.status(), 303);
    let open = "class=\"button open\"";
    for _ in 0..2 {
        for me in [&other, &agent, &same_agent] {
            let list = me.page("/desk/queue/list").await;
            assert!(list.contains("data-status=\"claimed\""), "{list}");
            assert_eq!(list.contains(open), me.cookie != other.cookie, "{list}");
        }
    }
}
