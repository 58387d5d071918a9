//! Conversations about accounts, lookups, clarification and the ways a form goes wrong.

use heatdesk::dialogue::{EscalationReason, Inbound};

use super::Chat;

#[tokio::test]
async fn binding_verification_and_payment_lookup() {
    let mut c = Chat::start(None).await;
    c.note("an unbound resident asks for arrears; the wrong holder first");
    c.say("查一下我家欠多少暖气费").await;
    c.say("10010002").await;
    c.say("王建国").await;
    c.say("李秀兰").await;
    c.note("a second account, proven with the phone's last 4 digits");
    c.say("绑定户号").await;
    c.say("户号10010001").await;
    c.say("尾号1001").await;
    c.say("我绑了哪些户号").await;
    c.note("two accounts bound: which one?");
    c.say("查欠费").await;
    c.say("2").await;
    c.say("我要解绑").await;
    c.say("1").await;
    c.say("我绑了哪些户号").await;
    c.golden("binding_and_payment");
    let bound = c.dialogue.store().bindings(&c.user).await.unwrap();
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].account.as_str(), "10010001");
}

#[tokio::test]
async fn wrong_account_and_failed_verification_go_to_a_person() {
    let mut c = Chat::start(None).await;
    c.say("我要绑定户号").await;
    c.say("123").await;
    c.say("户号99999999").await;
    c.say("10010003").await;
    c.say("李四").await;
    c.say("尾号0000").await;
    c.golden("verification_failure");
    let esc = c.dialogue.store().escalations(&c.user).await.unwrap();
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0].reason, EscalationReason::VerificationFailed);
    assert!(c
        .dialogue
        .store()
        .bindings(&c.user)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn unsure_classifier_asks_and_then_offers_a_person() {
    let mut c = Chat::start(None).await;
    c.note("answered by number");
    c.say("嗯那个").await;
    c.say("3").await;
    c.say("算了").await;
    c.note("answered in words");
    c.say("嗯那个").await;
    c.say("我要投诉").await;
    c.note("two answers that match no option: a person is offered");
    c.say("嗯那个").await;
    c.say("问一下").await;
    c.say("问一下").await;
    c.golden("clarification");
    let esc = c.dialogue.store().escalations(&c.user).await.unwrap();
    assert_eq!(esc.last().unwrap().reason, EscalationReason::NotUnderstood);
}

#[tokio::test]
async fn halls_by_district_and_by_location() {
    let mut c = Chat::start(None).await;
    c.say("营业厅在哪里").await;
    c.say("乌达区的营业厅在哪").await;
    c.send(Inbound::Location {
        lat: 39.45,
        lon: 106.88,
        label: Some("海南区".to_owned()),
    })
    .await;
    c.send(Inbound::Click {
        key: "HALLS".to_owned(),
    })
    .await;
    c.golden("halls");
}

#[tokio::test]
async fn request_status_lists_open_requests_with_their_timeline() {
    let mut c = Chat::start(None).await;
    c.say("上周报的维修咋还没动静").await;
    c.say("10010003").await;
    c.say("张伟").await;
    c.say("进度怎么样了").await;
    c.golden("request_status");
}

#[tokio::test]
async fn several_slots_correction_digression_cancel_and_restart() {
    let mut c = Chat::start(None).await;
    c.note("account, date and time in one message");
    c.say("暖气不热").await;
    c.say("户号30030001，明天上午有人在家").await;
    c.say("赵军").await;
    c.say("海南区拉僧庙小区2号楼1单元101").await;
    c.note("an unrelated question in the middle, then back");
    c.say("供暖时间是几号到几号").await;
    c.say("13904737007").await;
    c.say("卧室暖气片不热，客厅还行").await;
    c.send(Inbound::Image {
        media_id: "media-radiator".to_owned(),
        url: None,
    })
    .await;
    c.note("a correction at the confirmation");
    c.say("不对，是明天下午").await;
    c.restart();
    c.say("确认").await;
    c.note("a second booking, cancelled");
    c.say("屋里太冷了，暖气不热").await;
    c.say("是").await;
    c.say("算了").await;
    c.golden("inspection_correction_digression");
}

#[tokio::test]
async fn past_date_timeout_and_unreadable_messages() {
    let mut c = Chat::start(None).await;
    c.say("绑定户号").await;
    c.say("30030001").await;
    c.say("7007").await;
    c.say("我想换暖气片").await;
    c.say("好的").await;
    c.say("海南区拉僧庙小区2号楼1单元101").await;
    c.say("13904737007").await;
    c.say("客厅加一组暖气片").await;
    c.say("昨天").await;
    c.send(Inbound::Voice { recognition: None }).await;
    c.send(Inbound::Other {
        kind: "video".to_owned(),
    })
    .await;
    c.wait(45);
    c.say("后天").await;
    c.send(Inbound::Subscribe).await;
    c.golden("past_date_timeout");
}
