//! The office's pages over HTTP: who may use them, the inbox and its actions, the editor's
//! findings, submission refused for a draft with errors, and text typed into any field
//! shown as text on every page and sent to WeChat as typed.

use heatdesk::catalog::Subject;
use heatdesk::office::ChangeStatus;

use super::{desk_app, desk_app_with, DeskClient, Resident, DEMO_PASSWORD};

/// Every office action, as a form post.
const ACTIONS: &[&str] = &[
    "/desk/office/inbox/paraphrase",
    "/desk/office/inbox/not-ours",
    "/desk/office/inbox/dismiss",
    "/desk/office/entries/hall_info.halls",
    "/desk/office/preview",
    "/desk/office/intents",
    "/desk/office/intents/thanks_bye/retire",
    "/desk/office/facts",
    "/desk/office/changes/1/submit",
    "/desk/office/changes/1/approve",
    "/desk/office/changes/1/return",
    "/desk/office/changes/1/publish",
    "/desk/office/changes/1/override",
    "/desk/office/versions/1/rollback",
];

#[tokio::test]
async fn agents_and_stations_cannot_act_for_the_office() {
    let (app, _fake) = desk_app().await;
    for name in ["agent", "station"] {
        let desk = DeskClient::login(&app, name, DEMO_PASSWORD).await;
        for path in ACTIONS {
            let res = desk
                .post(
                    path,
                    &[
                        ("text", "暖气"),
                        ("entry", "hall_info.halls"),
                        ("name", "hotline"),
                        ("value", "1"),
                    ],
                )
                .await;
            assert_eq!(res.status(), 403, "{name} POST {path}");
        }
    }
    // Without the session's token nobody gets through, a curator included.
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    for path in ACTIONS {
        let res = curator.post_raw(path, &[("text", "暖气")]).await;
        assert_eq!(res.status(), 403, "no CSRF token: {path}");
    }
    let o = &app.state.office;
    assert!(o
        .store
        .changesets(&ChangeStatus::ALL)
        .await
        .unwrap()
        .is_empty());
    assert!(o.store.labels().await.unwrap().is_empty());
    assert_eq!(o.live().meta.number, 1);
}

#[tokio::test]
async fn the_inbox_groups_unanswered_questions_and_each_action_teaches_the_gate() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-inbox");
    for text in [
        "西环路那边有你们的办事点没有",
        "西环路那边有没有你们的办事点",
        "西环路那边有你们的办事点没有",
    ] {
        r.says(text).await;
    }
    let other = Resident::new(&app.state, "o-inbox-2");
    other.says("你们卖不卖冰淇淋").await;
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office/inbox").await;
    let groups: Vec<&str> = page.matches("class=\"card inbox-group\"").collect();
    assert!(page.contains("西环路那边有你们的办事点没有"), "{page}");
    assert!(
        page.contains("3 次"),
        "the three wordings are one group: {page}"
    );
    assert!(groups.len() >= 2);
    // The most asked group comes first, with its other wording.
    let variants = super::attribute(&page, "name=\"variants\" value=\"").unwrap();
    assert_eq!(variants, "西环路那边有没有你们的办事点");

    let res = curator
        .post(
            "/desk/office/inbox/paraphrase",
            &[
                ("text", "西环路那边有你们的办事点没有"),
                ("variants", &variants),
                ("entry", "hall_info.halls"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = curator
        .post(
            "/desk/office/inbox/not-ours",
            &[("text", "你们卖不卖冰淇淋")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = curator.page("/desk/office/inbox").await;
    assert!(!page.contains("西环路那边"), "acted on, gone: {page}");
    assert!(!page.contains("冰淇淋"));

    let o = &app.state.office;
    let labels = o.store.labels().await.unwrap();
    let label = |t: &str| {
        labels
            .iter()
            .find(|l| l.text == t)
            .map(|l| l.intent.clone())
    };
    assert_eq!(
        label("西环路那边有你们的办事点没有").as_deref(),
        Some("hall_info")
    );
    assert_eq!(
        label("西环路那边有没有你们的办事点").as_deref(),
        Some("hall_info"),
        "the group's other wording is labelled too"
    );
    assert_eq!(label("你们卖不卖冰淇淋").as_deref(), Some("out_of_scope"));
    let gate = o.labelled().await.unwrap();
    assert!(gate.iter().any(|q| q.text == "你们卖不卖冰淇淋"));
    // Both edits wait in the curator's change set.
    let set = o.store.open_changeset("curator").await.unwrap();
    let edits = o.store.edits(set.id).await.unwrap();
    assert!(edits
        .iter()
        .any(|e| e.subject == Subject::Entry("hall_info.halls".into())));
    assert_eq!(edits.len(), 2, "{edits:?}");
}

#[tokio::test]
async fn a_draft_with_errors_shows_them_at_their_field_and_cannot_be_submitted() {
    let (app, _fake) = desk_app().await;
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office/entries/hall_info.halls").await;
    let base = super::attribute(&page, "name=\"base\" value=\"").unwrap();
    let long = "很长".repeat(400);
    let res = curator
        .post(
            "/desk/office/entries/hall_info.halls",
            &[
                ("id", "hall_info.halls"),
                ("intent", "hall_info"),
                ("status", "published"),
                ("question", "营业厅在哪里？"),
                ("paraphrases", "你们营业厅地址\n总厅在哪儿\n怎么在网上缴费"),
                ("wechat", &format!("请拨打{{no_such_phone}}。{long}")),
                ("counter", ""),
                ("greeting", "您好"),
                ("answer", "营业厅在{main_hall_address}"),
                ("closing", "再见"),
                ("base", &base),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = curator
        .page("/desk/office/entries/hall_info.halls?saved=true")
        .await;
    for (field, words) in [
        ("wechat", "no_such_phone"),
        ("wechat", "600"),
        ("counter", "这一栏不能为空"),
        ("paraphrases", "payment_channels"),
    ] {
        let marker = format!("data-field=\"{field}\"");
        let found = page
            .split(&marker)
            .skip(1)
            .any(|after| after.split("</p>").next().unwrap_or("").contains(words));
        assert!(found, "a finding at `{field}` mentioning `{words}`");
    }
    let set = app
        .state
        .office
        .store
        .open_changeset("curator")
        .await
        .unwrap();
    let res = curator
        .post(
            &format!("/desk/office/changes/{}/submit", set.id),
            &[("text", "hall reply")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("no_such_phone"), "{page}");
    let set = app
        .state
        .office
        .store
        .changeset(set.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.status, ChangeStatus::Draft);
}

#[tokio::test]
async fn markup_typed_into_a_reply_is_text_on_every_page_and_as_typed_on_wechat() {
    let (app, _fake) = desk_app_with(|s| s.office.require_review = false).await;
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office/entries/hall_info.hours").await;
    let base = super::attribute(&page, "name=\"base\" value=\"").unwrap();
    let entry = app
        .state
        .office
        .live()
        .doc
        .entries
        .iter()
        .find(|e| e.id.as_str() == "hall_info.hours")
        .unwrap()
        .clone();
    let typed = "<script>alert('x')</script><b>营业时间</b> & {hotline}";
    let res = curator
        .post(
            "/desk/office/entries/hall_info.hours",
            &[
                ("id", "hall_info.hours"),
                ("intent", "hall_info"),
                ("status", "published"),
                ("question", &entry.question),
                ("paraphrases", &entry.paraphrases.join("\n")),
                ("wechat", typed),
                ("counter", typed),
                ("greeting", &entry.reply.hotline.greeting),
                ("answer", typed),
                ("closing", &entry.reply.hotline.closing),
                ("base", &base),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let editor = curator.page("/desk/office/entries/hall_info.hours").await;
    let preview = curator
        .post(
            "/desk/office/preview",
            &[("wechat", typed), ("counter", typed)],
        )
        .await
        .text()
        .await
        .unwrap();
    let set = app
        .state
        .office
        .store
        .open_changeset("curator")
        .await
        .unwrap();
    let res = curator
        .post(
            &format!("/desk/office/changes/{}/submit", set.id),
            &[("text", "opening hours")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = curator
        .post(&format!("/desk/office/changes/{}/publish", set.id), &[])
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let handbook = curator.page("/desk/office/handbook").await;
    let change = curator
        .page(&format!("/desk/office/changes/{}", set.id))
        .await;
    for (name, html) in [
        ("editor", &editor),
        ("preview", &preview),
        ("handbook", &handbook),
        ("change", &change),
    ] {
        assert!(!html.contains("<script>alert"), "{name} runs it");
        assert!(!html.contains("<b>营业时间"), "{name} renders it");
        assert!(
            html.contains("&lt;script&gt;alert('x')&lt;/script&gt;")
                || html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            "{name} shows it as text"
        );
    }
    let hotline = app.state.office.live().doc.facts["hotline"].clone();
    let reply = Resident::new(&app.state, "o-markup")
        .says("营业厅几点开门")
        .await
        .replies
        .join("\n");
    assert!(
        reply.contains(&format!(
            "<script>alert('x')</script><b>营业时间</b> & {hotline}"
        )),
        "sent as typed, facts filled in: {reply}"
    );
}

#[tokio::test]
async fn an_answer_the_resident_contradicts_at_once_reaches_the_inbox() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-contradicts");
    let answer = r.says("营业厅几点上班").await;
    assert!(!answer.replies.is_empty());
    r.says("不对，没用").await;
    // Asking for a person after an answer counts too; a question never answered does not.
    let other = Resident::new(&app.state, "o-asks-person");
    other.says("停供怎么收费").await;
    other.says("转人工").await;
    let inbox = app.state.office.inbox(50).await.unwrap();
    let contradicted: Vec<&str> = inbox
        .iter()
        .filter(|g| g.sources.contains("contradicted"))
        .map(|g| g.text.as_str())
        .collect();
    assert!(contradicted.contains(&"营业厅几点上班"), "{inbox:?}");
    assert!(contradicted.contains(&"停供怎么收费"), "{inbox:?}");
    assert_eq!(contradicted.len(), 2, "{inbox:?}");
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office/inbox").await;
    assert!(page.contains("居民否定回答"), "the source is shown");
}

#[tokio::test]
async fn a_low_rating_sends_the_last_answered_question_to_the_inbox() {
    let (app, _fake) = desk_app().await;
    let r = Resident::new(&app.state, "o-low-rating");
    r.says("营业厅几点上班").await;
    r.says("我还有别的问题").await;
    r.says("转人工").await;
    let h = heatdesk::handoff::store_for(&app.state.db)
        .open_for(&r.user)
        .await
        .unwrap()
        .unwrap();
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let claim = agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(claim.status(), 303);
    let close = agent
        .post(
            &format!("/desk/handoffs/{}/close", h.id),
            &[("resolution", "answered"), ("note", "")],
        )
        .await;
    assert_eq!(close.status(), 303);
    r.says("1").await;
    let feedback = app.state.office.store.feedback(10).await.unwrap();
    let low: Vec<&str> = feedback
        .iter()
        .filter(|f| f.kind == heatdesk::office::FeedbackKind::LowRating)
        .map(|f| f.text_masked.as_str())
        .collect();
    assert_eq!(low, ["营业厅几点上班"], "{feedback:?}");
}

#[tokio::test]
async fn a_paraphrase_moves_to_another_entry_in_one_step() {
    let (app, _fake) = desk_app().await;
    let curator = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let page = curator.page("/desk/office/entries/hall_info.halls").await;
    assert!(page.contains("id=\"move-text\""));
    let res = curator
        .post(
            "/desk/office/entries/hall_info.halls/move",
            &[("text", "热力公司在什么位置"), ("to", "hall_info.contacts")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let o = &app.state.office;
    let doc = o.draft_doc("curator").await.unwrap();
    let texts = |id: &str| {
        doc.entries
            .iter()
            .find(|e| e.id.as_str() == id)
            .unwrap()
            .paraphrases
            .clone()
    };
    assert!(!texts("hall_info.halls").contains(&"热力公司在什么位置".to_owned()));
    assert!(texts("hall_info.contacts").contains(&"热力公司在什么位置".to_owned()));
    // Moving to an entry that does not exist changes nothing.
    let res = curator
        .post(
            "/desk/office/entries/hall_info.contacts/move",
            &[("text", "热力公司在什么位置"), ("to", "no.such")],
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn the_second_curator_to_save_an_entry_sees_both_texts_and_keeps_theirs() {
    let (app, _fake) = desk_app().await;
    let first = DeskClient::login(&app, "curator", DEMO_PASSWORD).await;
    let second = DeskClient::login(&app, "curator2", DEMO_PASSWORD).await;
    let path = "/desk/office/entries/hall_info.hours";
    let base_a = super::attribute(&first.page(path).await, "name=\"base\" value=\"").unwrap();
    let base_b = super::attribute(&second.page(path).await, "name=\"base\" value=\"").unwrap();
    assert_eq!(base_a, base_b);
    let entry = app
        .state
        .office
        .live()
        .doc
        .entries
        .iter()
        .find(|e| e.id.as_str() == "hall_info.hours")
        .unwrap()
        .clone();
    let form = |question: &str, base: &str| {
        vec![
            ("id", "hall_info.hours".to_owned()),
            ("intent", "hall_info".to_owned()),
            ("status", "published".to_owned()),
            ("question", question.to_owned()),
            ("paraphrases", entry.paraphrases.join("\n")),
            ("wechat", entry.reply.wechat.clone()),
            ("counter", entry.reply.counter.clone()),
            ("greeting", entry.reply.hotline.greeting.clone()),
            ("answer", entry.reply.hotline.answer.clone()),
            ("closing", entry.reply.hotline.closing.clone()),
            ("base", base.to_owned()),
        ]
    };
    let a = form("营业厅几点开门？", &base_a);
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(first.post(path, &a).await.status(), 303);
    let b = form("服务大厅几点上班？", &base_b);
    let b: Vec<(&str, &str)> = b.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = second.post(path, &b).await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(page.contains("class=\"conflict\""), "{page}");
    assert!(page.contains("营业厅几点开门？"), "their text is shown");
    assert!(
        page.contains("value=\"服务大厅几点上班？\""),
        "what was typed is still in the form"
    );
    // Nothing of the second save went in: the first curator's text stands.
    let current = app
        .state
        .office
        .current(
            &heatdesk::catalog::Subject::Entry("hall_info.hours".into()),
            "curator2",
        )
        .await
        .unwrap();
    assert!(current
        .value
        .unwrap()
        .to_string()
        .contains("营业厅几点开门？"));
}
