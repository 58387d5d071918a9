//! A resident's complaint becomes a case; deadlines and overdue follow the clock.

use chrono::Duration;
use heatdesk::complaints::{Action, Actor, CaseStatus, Category, EventKind, Listing, Standing};
use heatdesk::dialogue::{Complaint, Inbound, LodgeComplaint, Turn};
use heatdesk::handoff::DeskEvent;
use heatdesk::service::AccountNo;

use super::{apps, t0};
use crate::desk::{DeskClient, Resident, DEMO_PASSWORD};

#[tokio::test]
async fn a_complaint_becomes_a_case_and_the_resident_hears_its_number_and_deadlines() {
    for (app, _fake) in apps().await {
        let resident = Resident::new(&app.state, "o-complaint-1");
        let account = AccountNo::parse("10010001").unwrap();
        app.state
            .conversations
            .bind(&resident.user, &account, t0())
            .await
            .unwrap();

        let out = resident.says_at("我要投诉你们工作人员", t0()).await;
        let reply = out.replies.join("\n");
        // The standard reply's promise is rendered from the settings (12 h, 5 days).
        assert!(
            reply.contains("受理后12小时内联系您，5天内答复处理结果"),
            "{reply}"
        );
        assert!(!reply.contains("24小时"), "{reply}");
        // The number and both deadlines, in local time (the case opened on 4 December).
        assert!(reply.contains("投诉编号：TS202612040001"), "{reply}");
        assert!(reply.contains("2026-12-04 13:30 前与您联系"), "{reply}");
        assert!(reply.contains("2026-12-09 01:30 前答复处理结果"), "{reply}");

        let store = &app.state.complaints.store;
        let open = store.list(Listing::Open).await.unwrap();
        assert_eq!(open.len(), 1, "{open:#?}");
        let case = &open[0];
        assert_eq!(case.number(), "TS202612040001");
        assert_eq!(case.words, "我要投诉你们工作人员");
        assert_eq!(case.account.as_deref(), Some("10010001"));
        assert_eq!(case.district.as_deref(), Some("海勃湾区"));
        assert_eq!(case.user.as_deref(), Some(resident.user.as_str()));
        assert_eq!(case.status, CaseStatus::Open);
        assert_eq!(case.category, Category::Unsorted);
        assert_eq!(case.contact_by, t0() + Duration::hours(12));
        assert_eq!(case.resolve_by, t0() + Duration::days(5));
        let events = store.events(case.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventKind::Opened);
        assert_eq!(
            events[0].author, None,
            "opened by the resident, through the bot"
        );

        // The complaint also went to a person, as before.
        let queue = heatdesk::handoff::store_for(&app.state.db)
            .queue()
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
    }
}

#[tokio::test]
async fn the_same_message_lodged_twice_is_one_case() {
    for (app, _fake) in apps().await {
        let complaint = Complaint {
            user: "o-complaint-twice".to_owned(),
            words: "反映了多少回了根本不解决".to_owned(),
            key: "wechat:o-complaint-twice:msg-1".to_owned(),
            at: t0(),
        };
        let first = app.state.complaints.lodge(&complaint).await.unwrap();
        let again = app.state.complaints.lodge(&complaint).await.unwrap();
        assert_eq!(first, again);
        let open = app
            .state
            .complaints
            .store
            .list(Listing::Open)
            .await
            .unwrap();
        assert_eq!(open.len(), 1);

        // A retried WeChat push (same message id) gets the stored answer and no new case.
        let dialogue = app.state.dialogue().unwrap();
        let turn = || Turn {
            user: "o-complaint-retry".to_owned(),
            inbound: Inbound::Text("问题拖了一个月没人处理，我要投诉".to_owned()),
            at: t0(),
            locale: "zh-CN".to_owned(),
            message: Some("msg-retry-1".to_owned()),
        };
        let a = dialogue.handle(turn()).await.unwrap();
        let b = dialogue.handle(turn()).await.unwrap();
        assert_eq!(a.replies, b.replies);
        let open = app
            .state
            .complaints
            .store
            .list(Listing::Open)
            .await
            .unwrap();
        assert_eq!(open.len(), 2, "{open:#?}");
    }
}

#[tokio::test]
async fn deadlines_make_a_case_due_soon_then_overdue_and_the_desk_hears_it_once() {
    for (app, _fake) in apps().await {
        let c = &app.state.complaints;
        c.clock.pin(t0());
        let (case, created) = c
            .open(
                "o-clock",
                "暖气不热反映了好几次都没人管",
                "k-clock",
                None,
                None,
                t0(),
            )
            .await
            .unwrap();
        assert!(created);
        let due_soon = c.due_soon();
        let standing = |at| {
            let case = case.clone();
            move || case.standing(at, due_soon)
        };
        assert_eq!(standing(t0())(), Standing::OnTrack);
        assert_eq!(
            standing(t0() + Duration::hours(11))(),
            Standing::DueSoon,
            "two hours before contacting is due"
        );

        let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
        c.clock.pin(t0() + Duration::hours(11));
        let list = agent.page("/desk/complaints/list").await;
        assert!(
            list.contains(&format!(
                "data-id=\"{}\" data-standing=\"due_soon\"",
                case.id
            )),
            "{list}"
        );
        assert!(
            c.sweep_overdue().await.unwrap().is_empty(),
            "nothing is late yet"
        );

        // Past the contact deadline: overdue, red, and the desk hears of it once.
        let mut events = app.state.events.subscribe();
        c.clock.pin(t0() + Duration::hours(13));
        assert_eq!(c.sweep_overdue().await.unwrap(), vec![case.id]);
        let mut heard = Vec::new();
        while let Ok(e) = events.try_recv() {
            heard.push(e);
        }
        assert!(
            heard.contains(&DeskEvent::ComplaintOverdue(case.id)),
            "{heard:?}"
        );
        assert!(c.sweep_overdue().await.unwrap().is_empty(), "told once");
        let list = agent.page("/desk/complaints/list").await;
        let overdue = list
            .split("data-group=\"overdue\"")
            .nth(1)
            .and_then(|s| s.split("data-group=").next())
            .unwrap();
        assert!(
            overdue.contains(&format!(
                "data-id=\"{}\" data-standing=\"overdue\"",
                case.id
            )),
            "{list}"
        );
        let page = agent.page(&format!("/desk/complaints/{}", case.id)).await;
        assert!(page.contains("data-standing=\"overdue\""), "{page}");

        // Contacted late: the case works to the outcome deadline, announced again when
        // that passes.
        let who = Actor {
            id: 1,
            name: "客服 李娜".to_owned(),
        };
        c.act(case.id, &who, Action::Contacted("已电话联系".to_owned()))
            .await
            .unwrap();
        let now = c.store.get(case.id).await.unwrap().unwrap();
        assert_eq!(
            now.standing(t0() + Duration::hours(13), due_soon),
            Standing::OnTrack
        );
        c.clock.pin(t0() + Duration::days(5) + Duration::minutes(1));
        assert_eq!(c.sweep_overdue().await.unwrap(), vec![case.id]);
        let kinds: Vec<EventKind> = c
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
                EventKind::Overdue,
                EventKind::Contacted,
                EventKind::Overdue
            ]
        );

        // Closed late: not within the deadline; the follow-up call is due two days later.
        c.act(
            case.id,
            &who,
            Action::Close("已上门处理，室温恢复".to_owned()),
        )
        .await
        .unwrap();
        let closed = c.store.get(case.id).await.unwrap().unwrap();
        assert_eq!(closed.status, CaseStatus::Closed);
        assert!(!closed.closed_in_time());
        assert_eq!(
            closed.follow_up_due,
            Some(t0() + Duration::days(7) + Duration::minutes(1))
        );
        assert!(
            c.sweep_overdue().await.unwrap().is_empty(),
            "closed cases are not late"
        );
    }
}

/// Erasing a resident keeps their cases for the figures, without them: a pseudonym, no
/// words, no account; an open case is closed since nobody is left to answer.
#[tokio::test]
async fn erasing_a_resident_anonymises_their_complaints() {
    for (app, _fake) in apps().await {
        let resident = Resident::new(&app.state, "o-complaint-erased");
        let account = AccountNo::parse("10010001").unwrap();
        app.state
            .conversations
            .bind(&resident.user, &account, t0())
            .await
            .unwrap();
        resident.says_at("我要投诉你们工作人员", t0()).await;
        let erasure = heatdesk::privacy::Privacy::new(app.state.db.clone())
            .erase(&resident.user)
            .await
            .unwrap();
        assert!(erasure.remaining.is_empty(), "{:?}", erasure.remaining);
        assert!(erasure
            .steps
            .iter()
            .any(|s| s.table == "complaints" && s.rows == 1));
        let kept = app
            .state
            .complaints
            .store
            .list(Listing::Closed(10))
            .await
            .unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].user.as_deref(), Some(erasure.pseudonym.as_str()));
        assert_eq!(kept[0].words, "");
        assert_eq!(kept[0].account, None);
    }
}
