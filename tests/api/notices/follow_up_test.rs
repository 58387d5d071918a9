//! Closing a complaint case asks its resident how satisfied they are (a message inside
//! the window, the outcome template outside it); their answer through the signed callback
//! is the case's follow-up.

use heatdesk::complaints::{Action, Actor, ComplaintError, EventKind};

use super::{apps, settled, WeChatResident, OUTCOME_TEMPLATE};
use crate::helpers::TestApp;

async fn agent(app: &TestApp) -> Actor {
    let (user, _) = app.state.users.by_name("agent").await.unwrap().unwrap();
    Actor {
        id: user.id,
        name: user.display_name,
    }
}

#[tokio::test]
async fn closing_a_case_asks_the_resident_and_their_answer_is_its_follow_up() {
    for (app, fake) in apps(|_| {}).await {
        let near = WeChatResident::new("o-follow-near");
        let far = WeChatResident::new("o-follow-far");
        fake.touch_user(&near.user);
        for (n, r) in [&near, &far].into_iter().enumerate() {
            let reply = r.says(&app, "我要投诉你们工作人员", 9100 + n as u64).await;
            assert!(reply.contains("投诉编号"), "{reply}");
        }
        let c = &app.state.complaints;
        let who = agent(&app).await;
        let case_of = |user: &str| {
            let user = user.to_owned();
            async move { c.store.for_user(&user).await.unwrap().remove(0) }
        };
        let (near_case, far_case) = (case_of(&near.user).await, case_of(&far.user).await);
        let outcome = "已更换阀门，站长上门致歉";
        for case in [&near_case, &far_case] {
            c.act(case.id, &who, Action::Close(outcome.to_owned()))
                .await
                .unwrap();
        }

        // Inside the window: the outcome and the question as a message.
        assert_eq!(settled(&app, &near.user).await[0].status, "sent");
        let texts = fake.texts_to(&near.user);
        let told = texts.last().unwrap();
        assert!(
            told.contains(&near_case.number()) && told.contains(outcome),
            "{told}"
        );
        assert!(told.contains("回复 1–5"), "{told}");
        // Outside it: the outcome template, the question in its closing line.
        assert_eq!(settled(&app, &far.user).await[0].status, "template");
        let sent = fake.templates_to(&far.user);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].template_id, OUTCOME_TEMPLATE);
        assert_eq!(sent[0].data["character_string1"], far_case.number());
        assert_eq!(sent[0].data["thing2"], outcome);
        let ask = app
            .state
            .locales
            .text("zh-CN", "notice-remark-complaint-outcome", &[]);
        assert_eq!(sent[0].data["thing4"], ask);

        // The answers, a digit and words.
        let thanks = app
            .state
            .locales
            .text("zh-CN", "complaint-follow-up-thanks", &[]);
        assert_eq!(near.says(&app, "5", 9200).await, thanks);
        assert_eq!(far.says(&app, "不太满意", 9201).await, thanks);
        let near_after = c.store.get(near_case.id).await.unwrap().unwrap();
        assert_eq!(near_after.satisfaction, Some(5));
        assert!(near_after.followed_up_at.is_some());
        let far_after = c.store.get(far_case.id).await.unwrap().unwrap();
        assert_eq!(far_after.satisfaction, Some(2));
        assert_eq!(far_after.follow_up_note.as_deref(), Some("不太满意"));
        let last = c.store.events(far_case.id).await.unwrap().pop().unwrap();
        assert_eq!(last.kind, EventKind::FollowedUp);
        assert_eq!(last.author, None, "the resident answered, not an agent");

        // Answered once: "5" again is an ordinary message, and the agent's call finds the
        // follow-up done.
        assert_ne!(near.says(&app, "5", 9202).await, thanks);
        let call = Action::FollowUp {
            satisfaction: 3,
            note: "电话回访".to_owned(),
        };
        assert!(matches!(
            c.act(near_case.id, &who, call).await,
            Err(ComplaintError::Conflict)
        ));
    }
}

#[tokio::test]
async fn an_agents_call_first_leaves_the_residents_score_an_ordinary_message() {
    for (app, fake) in apps(|_| {}).await {
        let resident = WeChatResident::new("o-follow-called");
        fake.touch_user(&resident.user);
        resident.says(&app, "我要投诉你们工作人员", 9300).await;
        let c = &app.state.complaints;
        let who = agent(&app).await;
        let case = c.store.for_user(&resident.user).await.unwrap().remove(0);
        c.act(case.id, &who, Action::Close("已处理".to_owned()))
            .await
            .unwrap();
        let call = Action::FollowUp {
            satisfaction: 4,
            note: "电话回访，满意".to_owned(),
        };
        c.act(case.id, &who, call).await.unwrap();
        let thanks = app
            .state
            .locales
            .text("zh-CN", "complaint-follow-up-thanks", &[]);
        assert_ne!(resident.says(&app, "1", 9301).await, thanks);
        let after = c.store.get(case.id).await.unwrap().unwrap();
        assert_eq!(after.satisfaction, Some(4), "the call's score stands");
    }
}
