//! Triage before a visit for "not warm", each branch in its order: an interruption covers
//! the account; the season has not started; the heating is suspended; a resumption has not
//! opened the valve yet; arrears keep it closed (with how to pay); then the self-check, and
//! only "done, still cold" (or asking for the visit again) books it. Every case's ending is
//! recorded for the office's figure of visits avoided.

use chrono::{Duration, TimeZone, Utc};
use heatdesk::incident::triage::{Outcome, TriageFigures};
use heatdesk::incident::{Kind, NewInterruption};
use heatdesk::service::AccountNo;

use super::{start_time, Chat};

const CAUSE: &str = "滨河路供热主管道爆裂，正在抢修";

async fn bind(c: &mut Chat, user: &str, account: &str) {
    c.user = user.to_owned();
    c.state
        .conversations
        .bind(user, &AccountNo::parse(account).unwrap(), c.now())
        .await
        .unwrap();
    c.note(&format!("{user}, bound to {account}"));
}

async fn figures(c: &Chat) -> TriageFigures {
    c.state
        .incidents
        .triage()
        .figures(start_time() - Duration::days(400), None)
        .await
        .unwrap()
}

fn text(c: &Chat, id: &str) -> String {
    c.state.locales.text("zh-CN", id, &[])
}

/// The words of a message id up to its first placeholder: enough to recognise it.
fn opening(c: &Chat, id: &str) -> String {
    let full = text(c, id);
    full.split('{').next().unwrap().chars().take(8).collect()
}

#[tokio::test]
async fn each_branch_of_triage_in_order_and_how_each_case_ended() {
    let mut c = Chat::start(None).await;

    c.note("out of season (1 September): the season, not a visit");
    let in_season = c.now();
    *c.clock.lock().unwrap() = Utc.with_ymd_and_hms(2026, 9, 1, 2, 0, 0).unwrap();
    bind(&mut c, "o-early", "20020001").await;
    let told = c.say("暖气不热").await.join("\n");
    assert!(told.contains("10月15日"), "{told}");
    *c.clock.lock().unwrap() = in_season;

    c.note("suspended this season; insisting books the visit all the same");
    bind(&mut c, "o-suspended", "20020002").await;
    let told = c.say("暖气不热").await.join("\n");
    assert!(told.contains(&opening(&c, "triage-suspended")), "{told}");
    let insisted = c.say("还是要报修").await.join("\n");
    assert!(
        !insisted.contains(&text(&c, "offer-inspection")),
        "{insisted}"
    );

    c.say("取消").await;
    c.note("a resumption awaiting payment: the valve is not opened yet");
    bind(&mut c, "o-resuming", "30030002").await;
    let told = c.say("屋里冰凉冰凉的").await.join("\n");
    assert!(told.contains(&opening(&c, "triage-valve-closed")), "{told}");
    assert!(told.contains("待缴费"), "{told}");

    c.note("overdue arrears keep the valve closed: the amount and how to pay");
    bind(&mut c, "o-arrears", "20020003").await;
    let told = c.say("暖气不热").await;
    assert!(told[0].contains("2097.00"), "{told:?}");
    assert_eq!(told.len(), 2, "the arrears, then how to pay: {told:?}");

    c.note("nothing on the account: the self-check, which helps");
    bind(&mut c, "o-fixed", "20020001").await;
    let asked = c.say("暖气片上热下凉").await.join("\n");
    for button in ["triage-button-still-cold", "triage-button-warm-now"] {
        let label = text(&c, button);
        assert!(
            asked.contains(&format!("msgmenucontent={label}&")),
            "{button}: {asked}"
        );
    }
    let done = c.say("已经热了").await.join("\n");
    assert!(done.contains(&text(&c, "triage-resolved")), "{done}");

    c.note("the self-check does not help: the visit, with no second offer");
    bind(&mut c, "o-cold", "30030001").await;
    c.say("暖气不热").await;
    let booking = c.say("都做过了，还是不热").await.join("\n");
    assert!(
        !booking.contains(&text(&c, "offer-inspection")),
        "{booking}"
    );
    assert!(booking.contains(&text(&c, "slot-address")), "{booking}");
    c.say("取消").await;

    c.note("not bound: no account to check, the self-check; asking to book books");
    c.user = "o-stranger".to_owned();
    c.say("暖气不热").await;
    let booking = c.say("预约检测").await.join("\n");
    assert!(booking.contains(&text(&c, "slot-account-no")), "{booking}");
    c.say("取消").await;

    c.golden("triage");

    let f = figures(&c).await;
    let expected = [
        (Outcome::SeasonNotStarted, 1),
        (Outcome::Insisted, 1),
        (Outcome::ValveClosed, 1),
        (Outcome::Arrears, 1),
        (Outcome::SelfCheckResolved, 1),
        (Outcome::Visit, 2),
    ];
    for (o, n) in expected {
        assert_eq!(f.count(o), n, "{o:?}: {f:?}");
    }
    assert_eq!(f.total(), 7);
    assert_eq!(f.avoided(), 4, "season, valve, arrears, self-check");
}

#[tokio::test]
async fn an_interruption_comes_first_and_insisting_is_recorded() {
    let mut c = Chat::start(None).await;
    let opened = c
        .state
        .incidents
        .open(
            &NewInterruption {
                kind: Kind::Fault,
                district: None,
                estates: vec!["滨河花园".to_owned()],
                buildings: Vec::new(),
                cause: CAUSE.to_owned(),
                // Started before the conversation's clock, restored after the real one.
                starts_at: Some(start_time() - Duration::hours(1)),
                eta: Utc::now() + Duration::hours(5),
            },
            "dispatch",
        )
        .await
        .unwrap();
    bind(&mut c, "o-binhe", "10010001").await;
    let told = c.say("暖气不热").await.join("\n");
    assert!(told.contains(CAUSE), "{told}");
    assert!(!told.contains(&opening(&c, "triage-self-check")), "{told}");
    assert_eq!(figures(&c).await.count(Outcome::Interruption), 1);

    let insisted = c.say("还是要报修").await.join("\n");
    assert!(
        insisted.contains(&text(&c, "offer-inspection")),
        "{insisted}"
    );
    let f = figures(&c).await;
    assert_eq!(f.count(Outcome::Interruption), 0);
    assert_eq!(f.count(Outcome::Insisted), 1);
    assert_eq!(f.avoided(), 0);

    // Another resident of the estate who reads it and goes: one visit avoided, in the
    // interruption's district.
    c.say("取消").await;
    bind(&mut c, "o-binhe-2", "10010001").await;
    c.say("暖气怎么不热了").await;
    c.say("恢复后通知我").await;
    let since = start_time() - Duration::days(1);
    let log = c.state.incidents.triage();
    let district = log.figures(since, Some(&opened.scope.district)).await;
    assert_eq!(district.unwrap().avoided(), 1);
    let elsewhere = log.figures(since, Some("乌达区")).await.unwrap();
    assert_eq!(elsewhere.total(), 0);
}
