//! One instance: which way a notice takes, what a template message carries, and what
//! happens when WeChat refuses it.

use chrono::Utc;
use heatdesk::config::Settings;
use heatdesk::notify::Field;
use heatdesk::service::AccountNo;

use super::{advance, apps, repair, settled, PROGRESS_TEMPLATE};
use crate::desk::Resident;

async fn bind(app: &crate::helpers::TestApp, user: &str, account: &str) {
    app.state
        .conversations
        .bind(user, &AccountNo::parse(account).unwrap(), Utc::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn inside_the_window_a_message_outside_it_a_template_message_with_the_steps_data() {
    for (app, fake) in apps(|_| {}).await {
        bind(&app, "o-tpl-near", "10010001").await;
        bind(&app, "o-tpl-far", "10010001").await;
        fake.touch_user("o-tpl-near");
        let made = repair(&app, "10010001", "tpl-repair-0001").await;
        let id = made.id.to_string();
        advance(&app, &id, "work_order_issued", "tpl-step-00001").await;

        let near = settled(&app, "o-tpl-near").await;
        assert_eq!(near.len(), 1, "{near:?}");
        assert_eq!(near[0].status, "sent");
        let texts = fake.texts_to("o-tpl-near");
        assert_eq!(texts.len(), 1);
        assert!(
            texts[0].contains(&id) && texts[0].contains("已派单"),
            "{texts:?}"
        );
        assert!(
            fake.templates_to("o-tpl-near").is_empty(),
            "the message comes first"
        );

        let far = settled(&app, "o-tpl-far").await;
        assert_eq!(far[0].status, "template", "{far:?}");
        assert!(
            far[0].detail.is_none(),
            "the customer-service refusal is expected"
        );
        assert!(fake.texts_to("o-tpl-far").is_empty());
        let sent = fake.templates_to("o-tpl-far");
        assert_eq!(sent.len(), 1);
        let t = &sent[0];
        assert_eq!(t.template_id, PROGRESS_TEMPLATE);
        assert_eq!(t.data["character_string1"], id);
        assert_eq!(t.data["thing2"], "上门维修");
        assert_eq!(t.data["thing3"], "已派单");
        let remark = app
            .state
            .locales
            .text("zh-CN", "notice-remark-request-progress", &[]);
        assert_eq!(t.data["thing5"], remark, "no note: the closing line");
        assert_eq!(t.data["time4"].len(), "2026-12-04 10:30".len());
        assert!(t.client_msg_id.is_some(), "sent with an idempotency key");

        // Agents see it in the transcript; nothing waits for the next message.
        let lines = app
            .state
            .conversations
            .transcript("o-tpl-far")
            .await
            .unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].delivery.as_deref(), Some("template"));
        assert!(app
            .state
            .conversations
            .take_notices("o-tpl-far")
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn without_a_template_id_the_notice_waits_for_the_next_message_and_is_told_once() {
    let no_template = |s: &mut Settings| s.notices.request_progress_template = String::new();
    for (app, fake) in apps(no_template).await {
        bind(&app, "o-held", "10010002").await;
        let made = repair(&app, "10010002", "held-repair-001").await;
        let id = made.id.to_string();
        advance(&app, &id, "in_progress", "held-step-00001").await;

        let kept = settled(&app, "o-held").await;
        assert_eq!(kept[0].status, "held");
        assert!(
            kept[0].detail.as_deref().unwrap().contains("45015"),
            "{kept:?}"
        );
        assert!(fake.templates_sent().is_empty() && fake.texts_to("o-held").is_empty());

        let resident = Resident::new(&app.state, "o-held");
        let first = resident.says("你好").await.replies;
        assert!(first[0].contains(&id), "{first:?}");
        let second = resident.says("你好").await.replies;
        assert!(second.iter().all(|r| !r.contains(&id)), "{second:?}");
        let told = app.state.notifier.store.for_user("o-held").await.unwrap();
        assert_eq!(told[0].status, "told");
    }
}

type Adjust = dyn Fn(&mut Settings);

/// A template WeChat refuses (unknown id; a key the template declares left empty; a
/// resident who unfollowed): the failure is recorded and the notice held, not lost.
#[tokio::test]
async fn a_template_message_wechat_refuses_is_recorded_and_the_notice_held() {
    let unknown_id = |s: &mut Settings| s.notices.request_progress_template = "TPL_gone".into();
    let missing_key = |s: &mut Settings| {
        // The account's template declares five keys; these settings fill two.
        let keys = &mut s.notices.keys.request_progress;
        keys.insert("character_string1".into(), Field::Number);
        keys.insert("thing2".into(), Field::Kind);
    };
    let cases: [(&Adjust, &str, bool); 3] = [
        (&unknown_id, "40037", false),
        (&missing_key, "47003", false),
        (&|_: &mut Settings| {}, "43004", true),
    ];
    for (adjust, code, unfollowed) in cases {
        for (app, fake) in apps(adjust).await {
            if unfollowed {
                fake.unfollow("o-refused");
            }
            bind(&app, "o-refused", "10010001").await;
            let made = repair(&app, "10010001", "refused-repair-1").await;
            let id = made.id.to_string();
            advance(&app, &id, "completed", "refused-step-001").await;

            let kept = settled(&app, "o-refused").await;
            assert_eq!(kept[0].status, "held", "{code}: {kept:?}");
            let detail = kept[0].detail.clone().unwrap();
            assert!(
                detail.contains(&format!("template: errcode {code}")),
                "{detail}"
            );
            assert!(fake.templates_sent().is_empty(), "{code}");
            let told = Resident::new(&app.state, "o-refused")
                .says("你好")
                .await
                .replies;
            assert!(told[0].contains(&id), "{code}: {told:?}");
        }
    }
}

#[tokio::test]
async fn a_step_told_again_by_a_replayed_call_makes_no_second_notice() {
    for (app, fake) in apps(|_| {}).await {
        bind(&app, "o-replay", "10010001").await;
        let made = repair(&app, "10010001", "replay-repair-01").await;
        let id = made.id.to_string();
        for _ in 0..3 {
            advance(&app, &id, "in_progress", "replay-step-0001").await;
        }
        let kept = settled(&app, "o-replay").await;
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(fake.templates_to("o-replay").len(), 1);
    }
}
