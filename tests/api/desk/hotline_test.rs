//! Hotline assist: what a caller says → the standard hotline scripts, on the page and as
//! JSON, with the caller's account when given.

use heatdesk::domain::Channel;
use serde_json::{json, Value};

use super::{desk_app, no_redirects, DeskClient, DEMO_PASSWORD};

/// The hotline script of the entry the engine picks for `text`, as the phrasebook has it.
fn script_for(app: &crate::helpers::TestApp, text: &str) -> (String, String, String) {
    let engine = app.state.engine.current();
    let c = engine.classify(text);
    let catalog = engine.catalog();
    let entry = catalog.entry(c.entry.as_ref().unwrap()).unwrap();
    let h = catalog.rendered_reply(entry).hotline;
    (h.greeting, h.answer, h.closing)
}

#[tokio::test]
async fn a_callers_question_gets_the_hotline_script_as_json() {
    let (app, _fake) = desk_app().await;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let question = "我家今年没人住，想办理停暖";
    let res = agent
        .post_json(
            "/api/v1/assist",
            &json!({"text": question, "channel": "hotline", "account": "10010002"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["intent"], "suspension", "{body}");
    assert_eq!(body["decision"], "answer");
    let (greeting, answer, closing) = script_for(&app, question);
    let first = &body["suggestions"][0];
    assert_eq!(first["reply"]["kind"], "script");
    assert_eq!(first["reply"]["greeting"], greeting.as_str());
    assert_eq!(first["reply"]["answer"], answer.as_str());
    assert_eq!(first["reply"]["closing"], closing.as_str());
    assert!(body["suggestions"].as_array().unwrap().len() <= 3);
    // The linked account: 10010002 has arrears in the demo data.
    assert_eq!(body["account"]["no"], "10010002");
    assert_ne!(body["account"]["outstanding_yuan"], "0.00");
    assert!(body["account"]["holder_masked"]
        .as_str()
        .unwrap()
        .contains('*'));

    // The WeChat channel gives the WeChat text instead.
    let body: Value = agent
        .post_json(
            "/api/v1/assist",
            &json!({"text": question, "channel": "wechat", "limit": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["suggestions"].as_array().unwrap().len(), 1);
    assert_eq!(body["suggestions"][0]["reply"]["kind"], "text");
    assert_eq!(
        body["channel"],
        serde_json::to_value(Channel::Wechat).unwrap()
    );
}

#[tokio::test]
async fn the_assist_api_refuses_strangers_other_roles_and_bad_input() {
    let (app, _fake) = desk_app().await;
    let anonymous = no_redirects()
        .post(app.url("/api/v1/assist"))
        .json(&json!({"text": "怎么交费"}))
        .send()
        .await
        .unwrap();
    // No session and no token: the CSRF guard refuses before anything else.
    assert_eq!(anonymous.status(), 403);
    let anonymous_with_token = no_redirects()
        .post(app.url("/api/v1/assist"))
        .header("x-csrf-token", "anything")
        .json(&json!({"text": "怎么交费"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_with_token.status(), 403);

    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let res = station
        .post_json("/api/v1/assist", &json!({"text": "怎么交费"}))
        .await;
    assert_eq!(res.status(), 403);

    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let no_token = agent
        .client
        .post(app.url("/api/v1/assist"))
        .header(reqwest::header::COOKIE, &agent.cookie)
        .json(&json!({"text": "怎么交费"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403, "the CSRF header is required");
    for bad in [
        json!({"text": ""}),
        json!({"text": "怎么交费", "account": "12ab"}),
        json!({"text": "怎么交费", "channel": "fax"}),
        json!({"words": "怎么交费"}),
    ] {
        let res = agent.post_json("/api/v1/assist", &bad).await;
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "desk-error-bad-request");
    }
}

#[tokio::test]
async fn the_hotline_page_shows_scripts_and_the_account() {
    let (app, _fake) = desk_app().await;
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    let question = "暖气片不热怎么办";
    let (greeting, _, closing) = script_for(&app, question);
    let page = agent
        .page(&format!(
            "/desk/hotline?text={}&account=10010001",
            urlencode(question)
        ))
        .await;
    assert!(page.contains(&greeting), "{page}");
    assert!(page.contains(&closing));
    assert!(page.contains("data-account=\"10010001\""));
    // An empty form shows no results and no error.
    let empty = agent.page("/desk/hotline").await;
    assert!(!empty.contains("data-entry="));
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// In the browser: the scripts appear as the agent types, without submitting.
#[tokio::test]
async fn in_the_browser_scripts_appear_while_the_agent_types() {
    let Some(b) = crate::browser::browser().await else {
        return;
    };
    let (app, _fake) = desk_app().await;
    super::browser_test::sign_in(&b, &app, "agent").await;
    b.wait_for("#queue", super::browser_test::LIVE).await;
    b.goto(&app.url("/desk/hotline")).await;
    let question = "家里暖气不热，摸着凉";
    let (greeting, answer, _) = script_for(&app, question);
    b.fill("#caller-account", "10010002").await;
    b.fill("#caller-text", question).await;
    let shown = b
        .wait_for_text("#assist-results", &greeting, super::browser_test::LIVE)
        .await;
    assert!(shown.contains(&answer), "{shown}");
    assert!(
        b.text_of("#assist-account").await.contains("10010002"),
        "the linked account's state is shown"
    );
    b.screenshot("desk-hotline").await;
    b.close().await;
}
