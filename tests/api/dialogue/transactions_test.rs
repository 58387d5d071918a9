//! Conversations that change something: suspension, resumption, repairs, a leak, an
//! invoice, an area change, and a request kept while the service API is down.

use heatdesk::dialogue::{EscalationReason, Inbound};

use super::Chat;

async fn bound(c: &mut Chat, account: &str, proof: &str) {
    c.say("绑定户号").await;
    c.say(account).await;
    c.say(proof).await;
}

#[tokio::test]
async fn suspension_tells_fee_and_limits_before_confirming() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "10010001", "王建国").await;
    c.say("今年房子空着，我要报停").await;
    c.say("是").await;
    c.say("房屋空置").await;
    c.say("确认").await;
    c.note("the same account again: already suspended this season");
    c.say("我要报停").await;
    c.say("是").await;
    c.note("arrears block a suspension; a binding in the middle of an offer");
    c.say("申请停供").await;
    bound(&mut c, "10010002", "李秀兰").await;
    c.say("申请停供").await;
    c.say("是").await;
    c.say("2").await;
    c.golden("suspension");
}

#[tokio::test]
async fn resumption_follows_the_unified_flow() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "20020002", "陈志强").await;
    c.say("我想申请复供").await;
    c.say("是").await;
    c.say("确认").await;
    c.say("复供办到哪一步了").await;
    c.golden("resumption");
}

#[tokio::test]
async fn a_leak_gives_the_emergency_number_and_an_urgent_order() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "30030001", "赵军").await;
    let out = c.say("家里暖气片漏水了").await;
    assert!(out[0].contains("0473-3969999"), "emergency number first");
    c.say("海南区拉僧庙小区2号楼1单元101").await;
    c.say("13904737007").await;
    c.say("进度").await;
    c.golden("leak");
    let esc = c.dialogue.store().escalations(&c.user).await.unwrap();
    assert_eq!(esc[0].reason, EscalationReason::Urgent);
}

#[tokio::test]
async fn an_e_invoice_is_requested_in_the_chat_a_vat_invoice_is_explained() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "30030003", "周磊").await;
    c.say("交完费怎么开发票").await;
    c.say("是").await;
    c.say("个人").await;
    c.say("1").await;
    c.say("周磊").await;
    c.say("zhoulei@example.com").await;
    c.say("确认").await;
    // "公司" and "专票" already answer the form's two choices: neither is asked.
    c.say("公司要开专票").await;
    c.say("是").await;
    c.golden("invoice");
}

#[tokio::test]
async fn area_changes_are_approved_reviewed_or_refused() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "10010001", "王建国").await;
    c.say("我家面积不对").await;
    c.say("是").await;
    c.say("8600平").await;
    c.say("88平").await;
    c.send(Inbound::Image {
        media_id: "media-certificate".to_owned(),
        url: None,
    })
    .await;
    c.say("确认").await;
    bound(&mut c, "20020001", "刘芳").await;
    c.say("面积算错了").await;
    c.say("是").await;
    c.say("2").await;
    c.say("90").await;
    c.send(Inbound::Image {
        media_id: "media-contract".to_owned(),
        url: None,
    })
    .await;
    c.say("确认").await;
    c.golden("area_change");
}

#[tokio::test]
async fn a_request_made_while_the_service_is_down_is_kept_and_sent_once() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "10010003", "张伟").await;
    c.send(Inbound::Click {
        key: "SUSPEND".to_owned(),
    })
    .await;
    c.say("是").await;
    c.say("跳过").await;
    *c.service.down.lock().unwrap() = true;
    c.say("确认").await;
    assert_eq!(c.state.outbox.pending().await.unwrap(), 1);
    *c.service.down.lock().unwrap() = false;
    let api = c.deps.service.clone();
    assert_eq!(c.state.outbox.run_once(api.as_ref()).await.unwrap(), 1);
    c.note("the outbox sent it; the resident hears on the next message");
    c.send(Inbound::Voice {
        recognition: Some("我的停供进度".to_owned()),
    })
    .await;
    c.golden("outbox");
    let no = heatdesk::service::AccountNo::parse("10010003").unwrap();
    let suspensions = api
        .requests(&no)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == heatdesk::service::RequestKind::Suspension)
        .count();
    assert_eq!(suspensions, 1);
}

/// WeChat sends a message again when the answer is late; a turn may also run twice when two
/// instances race. Running the confirmation again from the same stored state must give the
/// same request, not a second one.
#[tokio::test]
async fn a_confirmation_run_twice_makes_one_request() {
    let mut c = Chat::start(None).await;
    bound(&mut c, "30030001", "赵军").await;
    c.say("我要申请面积核实").await;
    c.say("是").await;
    c.say("87平").await;
    c.send(Inbound::Image {
        media_id: "media-1".to_owned(),
        url: None,
    })
    .await;
    let store = c.dialogue.store().clone();
    let before = store.load(&c.user).await.unwrap().unwrap();
    let first = c.say("确认").await;
    let now = store.load(&c.user).await.unwrap().unwrap();
    assert!(store
        .save(&c.user, &before.state, Some(now.version), c.now())
        .await
        .unwrap());
    let second = c.say("确认").await;
    assert_eq!(first, second, "the same reference number both times");
    let no = heatdesk::service::AccountNo::parse("30030001").unwrap();
    let changes = c.deps.service.requests(&no).await.unwrap();
    assert_eq!(changes.len(), 1);
}

/// Two instances take two messages of one resident at once: both are answered, one after
/// the other, and the stored version counts both.
#[tokio::test]
async fn concurrent_turns_of_one_resident_are_serialised() {
    let c = Chat::start(None).await;
    let other = heatdesk::dialogue::Dialogue::new(c.deps.clone()).unwrap();
    let turn = |text: &str| heatdesk::dialogue::Turn {
        user: c.user.clone(),
        inbound: Inbound::Text(text.to_owned()),
        at: c.now(),
        locale: "zh-CN".to_owned(),
        message: None,
    };
    let (a, b) = tokio::join!(
        c.dialogue.handle(turn("营业厅在哪里")),
        other.handle(turn("供暖时间是几号到几号"))
    );
    assert!(!a.unwrap().replies.is_empty());
    assert!(!b.unwrap().replies.is_empty());
    let stored = c.dialogue.store().load(&c.user).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(
        c.dialogue.store().transcript(&c.user).await.unwrap().len(),
        4
    );
}

/// A leak reported by someone with no bound account (a neighbour, a passer-by): no request
/// can be made, so a person takes it, with the emergency number given at once.
#[tokio::test]
async fn a_leak_without_an_account_goes_to_a_person() {
    let mut c = Chat::start(None).await;
    c.say("楼上暖气漏水漏到我家了").await;
    c.say("海勃湾区滨河花园3号楼2单元401").await;
    c.say("13904731001").await;
    c.golden("leak_without_account");
    let esc = c.dialogue.store().escalations(&c.user).await.unwrap();
    assert_eq!(esc[0].reason, EscalationReason::Urgent);
}
