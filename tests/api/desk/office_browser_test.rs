//! The office in a real browser, on two instances sharing PostgreSQL: a curator (desktop)
//! adds a question from the inbox as a paraphrase and submits it; a second curator (phone)
//! approves and publishes; the resident, on the other instance, gets the entry's reply
//! without a restart. Then a change that forgets the question is refused by the gate with the
//! question shown, an admin publishes it anyway with a reason the audit log keeps, and a
//! rollback brings the answer back.

use std::time::{Duration, Instant};

use heatdesk::catalog::collision_key;
use heatdesk::config::Secret;

use super::browser_test::{sign_in, WeChatResident, LIVE};
use super::desk_app_with;
use crate::browser::Browser;
use crate::helpers::{fresh_postgres, TestApp};

/// Asked as "did you mean" by the shipped phrasebook.
const UNSURE: &str = "西环路那边有你们的办事点没有";

/// The resident's reply once the instance answers it with `reply`, asking again every
/// 100 ms; panics after two minutes (a busy machine rebuilds the engine slowly in a debug
/// build; the speed is measured by the publish benchmark, not here). Returns how long it took.
async fn answered_on_the_other_instance(
    resident: &mut WeChatResident<'_>,
    reply: &str,
    want: bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let got = resident.says(UNSURE).await;
        if (got == reply) == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "two minutes later the other instance still answers: {got}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scroll_to(b: &Browser, id: &str) {
    b.client()
        .execute(
            "document.getElementById(arguments[0]).scrollIntoView()",
            vec![serde_json::Value::String(id.to_owned())],
        )
        .await
        .unwrap();
}

async fn current_path(b: &Browser) -> String {
    b.client().current_url().await.unwrap().path().to_owned()
}

async fn sign_out(b: &Browser) {
    b.click("form[action=\"/desk/logout\"] button").await;
    b.wait_for("#name", LIVE).await;
}

fn hall_reply(app: &TestApp) -> String {
    let engine = app.state.engine.current();
    let catalog = engine.catalog();
    let entry = catalog
        .published()
        .find(|e| e.id.as_str() == "hall_info.halls")
        .unwrap();
    catalog.rendered_reply(entry).wechat
}

#[tokio::test]
async fn the_office_teaches_a_question_the_gate_keeps_it_and_a_rollback_restores_it() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let Some(desk) = Browser::builder().desktop().launch().await else {
        return;
    };
    let Some(phone) = Browser::builder().phone().launch().await else {
        return;
    };
    let db = Secret::new(url);
    let (a, _fake_a) = desk_app_with(|s| s.database_url = db.clone()).await;
    let (b, fake_b) = desk_app_with(|s| s.database_url = db.clone()).await;
    let reply = hall_reply(&b);
    let mut resident = WeChatResident::new(&b, &fake_b, "o-office-browser");
    assert_ne!(
        resident.says(UNSURE).await,
        reply,
        "the bot is unsure at first"
    );

    // The curator finds the question in the inbox (on instance A) and adds it to the halls.
    sign_in(&desk, &a, "curator").await;
    desk.wait_for("span.user", LIVE).await;
    desk.goto(&a.url("/desk/office/inbox")).await;
    let group = format!(
        "section.inbox-group[data-key=\"{}\"]",
        collision_key(UNSURE)
    );
    desk.wait_for(&group, LIVE).await;
    desk.screenshot("office-inbox").await;
    desk.click(&format!("{group} input[type=radio][value=\"\"]"))
        .await;
    desk.fill(&format!("{group} input[name=other]"), "hall_info.halls")
        .await;
    desk.click(&format!("{group} form.paraphrase button[type=submit]"))
        .await;
    desk.wait_for("p.notice", LIVE).await;
    assert!(
        desk.client()
            .find_all(fantoccini::Locator::Css(&group))
            .await
            .unwrap()
            .is_empty(),
        "acted on, it leaves the inbox"
    );

    // … and submits it for review.
    desk.goto(&a.url("/desk/office/changes")).await;
    desk.click("#mine a").await;
    desk.fill("#summary", "西环路的问法").await;
    desk.click("#submit").await;
    desk.wait_for("#change-status[data-status=review]", LIVE)
        .await;
    let change = current_path(&desk).await;
    // Nobody approves their own change.
    assert!(desk
        .client()
        .find(fantoccini::Locator::Css("#approve"))
        .await
        .is_err());

    // A second curator, on a phone, approves and publishes.
    sign_in(&phone, &a, "curator2").await;
    phone.wait_for("span.user", LIVE).await;
    phone.goto(&a.url(&change)).await;
    phone.click("#approve").await;
    phone
        .wait_for("#change-status[data-status=approved]", LIVE)
        .await;
    let published_at = Instant::now();
    phone.click("#publish").await;
    phone.wait_for("#published-notice", LIVE).await;
    phone.wait_for("#gate[data-passed=true]", LIVE).await;
    scroll_to(&phone, "gate").await;
    phone.screenshot("office-gate-passed-phone").await;
    let publish_took = published_at.elapsed();

    // The resident, on instance B, now gets the halls' reply.
    let swap = answered_on_the_other_instance(&mut resident, &reply, true).await;
    eprintln!(
        "figure: publish (build + gate) in the browser {publish_took:?}; the other instance answered {swap:?} later"
    );

    // A change that forgets the question: the curator removes the paraphrase in the editor,
    // after looking at the preview and trying the question against the draft.
    desk.goto(&a.url("/desk/office/entries/hall_info.halls"))
        .await;
    desk.wait_for("#preview-wechat", LIVE).await;
    desk.fill("#try-text", UNSURE).await;
    desk.wait_for(
        "#try-result .try-result[data-entry=\"hall_info.halls\"]",
        LIVE,
    )
    .await;
    desk.find("#f-wechat")
        .await
        .send_keys("（试）")
        .await
        .unwrap();
    desk.wait_for_text("#preview-wechat", "（试）", LIVE).await;
    desk.screenshot("office-editor").await;
    let paraphrases = desk
        .find("#f-paraphrases")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let without: Vec<&str> = paraphrases.lines().filter(|l| *l != UNSURE).collect();
    desk.client()
        .execute(
            "document.getElementById('f-paraphrases').value = arguments[0];\
             var w = document.getElementById('f-wechat'); w.value = w.value.replace('（试）', '');",
            vec![serde_json::Value::String(without.join("\n"))],
        )
        .await
        .unwrap();
    desk.click("#save").await;
    desk.wait_for("p.notice", LIVE).await;
    desk.goto(&a.url("/desk/office/changes")).await;
    desk.click("#mine a").await;
    desk.fill("#summary", "整理营业厅问法").await;
    desk.click("#submit").await;
    desk.wait_for("#change-status[data-status=review]", LIVE)
        .await;
    let change = current_path(&desk).await;

    phone.goto(&a.url(&change)).await;
    phone.click("#approve").await;
    phone
        .wait_for("#change-status[data-status=approved]", LIVE)
        .await;
    phone.click("#publish").await;
    phone.wait_for("#gate[data-passed=false]", LIVE).await;
    let broken = phone.text_of("#broken").await;
    assert!(
        broken.contains(UNSURE),
        "the broken question is shown: {broken}"
    );
    scroll_to(&phone, "gate").await;
    phone.screenshot("office-gate-refused-phone").await;
    assert_eq!(a.state.office.live().meta.number, 2, "nothing published");

    // An admin publishes it anyway, with a reason.
    sign_out(&desk).await;
    sign_in(&desk, &a, "admin").await;
    desk.wait_for("span.user", LIVE).await;
    desk.goto(&a.url(&change)).await;
    desk.wait_for("#gate[data-passed=false]", LIVE).await;
    scroll_to(&desk, "gate").await;
    desk.screenshot("office-gate-refused").await;
    let reason = "西环路办事点已撤销，不再引导到营业厅";
    desk.fill("#override-reason", reason).await;
    desk.click("#override").await;
    desk.wait_for("#published-notice", LIVE).await;
    answered_on_the_other_instance(&mut resident, &reply, false).await;
    desk.goto(&a.url("/desk/office/audit")).await;
    let line = desk.text_of("tr[data-action=override]").await;
    assert!(line.contains(reason) && line.contains("admin"), "{line}");
    desk.screenshot("office-audit").await;

    // The versions: a diff, then a rollback to version 2 brings the answer back.
    desk.goto(&a.url("/desk/office/versions/diff?a=2&b=3"))
        .await;
    let diff = desk.text_of("table.diff").await;
    assert!(diff.contains(UNSURE), "{diff}");
    desk.screenshot("office-versions-diff").await;
    desk.goto(&a.url("/desk/office/versions")).await;
    desk.click("button[data-rollback=\"2\"]").await;
    desk.wait_for("tr[data-version=\"4\"][data-live=true]", LIVE)
        .await;
    answered_on_the_other_instance(&mut resident, &reply, true).await;
    let v4 = a.state.office.store.version(4).await.unwrap().unwrap();
    assert_eq!(v4.meta.summary, "rollback to version 2");

    // The handbook carries the version on every page, at both widths.
    for (browser, name) in [
        (&desk, "office-handbook"),
        (&phone, "office-handbook-phone"),
    ] {
        browser.goto(&a.url("/desk/office/handbook")).await;
        let stamp = browser.text_of("p.stamp").await;
        assert!(stamp.contains('4'), "{stamp}");
        browser.screenshot(name).await;
    }
    // The editor and the inbox fit a phone: nothing wider than the screen.
    for path in [
        "/desk/office",
        "/desk/office/entries",
        "/desk/office/entries/hall_info.halls",
        "/desk/office/inbox",
        "/desk/office/intents",
        "/desk/office/facts",
        "/desk/office/changes",
        "/desk/office/versions",
    ] {
        phone.goto(&a.url(path)).await;
        let overflow = phone
            .client()
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap_or(0) <= 1,
            "{path} scrolls sideways by {overflow}"
        );
    }
    phone
        .goto(&a.url("/desk/office/entries/hall_info.halls"))
        .await;
    phone.screenshot("office-editor-phone").await;
    // The other pages at desktop width, read by the admin.
    for (path, ready, name) in [
        (
            "/desk/office/entries?q=营业厅",
            "section.intent-entries",
            "office-entries",
        ),
        ("/desk/office/intents", "table.intents", "office-intents"),
        ("/desk/office/facts", "table.facts", "office-facts"),
    ] {
        desk.goto(&a.url(path)).await;
        desk.wait_for(ready, LIVE).await;
        desk.screenshot(name).await;
    }
    let cited = desk
        .text_of("tr[data-fact=main_hall_address] td.cited")
        .await;
    assert!(
        cited.contains("营业厅在哪里"),
        "a fact lists the replies citing it: {cited}"
    );
    desk.close().await;
    phone.close().await;
}
