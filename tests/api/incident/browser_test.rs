//! Interruptions in Chromium, at desktop and phone width: a station head opens, re-times and
//! restores one on the desk page; a hotline agent sees it above the scripts for a caller of
//! the estate; residents read it on the public page, without a login, in the bot's words.

use std::time::Duration;

use heatdesk::domain::Channel;
use heatdesk::incident::describe;
use serde_json::json;

use super::desk_test::field_time;
use super::{BINHE, CAUSE};
use crate::browser::{Browser, BrowserBuilder};
use crate::desk::{desk_app, DEMO_PASSWORD};
use crate::helpers::TestApp;

const WAIT: Duration = Duration::from_secs(10);

fn sizes() -> [(&'static str, BrowserBuilder); 2] {
    [
        ("desktop", Browser::builder().desktop()),
        ("phone", Browser::builder().phone()),
    ]
}

/// Chromium is there (or its absence is allowed, and the test says so and stops).
async fn chromium() -> bool {
    match crate::browser::browser().await {
        Some(probe) => {
            probe.close().await;
            true
        }
        None => false,
    }
}

async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.goto(&app.url("/desk/login")).await;
    b.fill("#name", name).await;
    b.fill("#password", DEMO_PASSWORD).await;
    b.click("#login").await;
    b.wait_for("header.top", WAIT).await;
}

/// The page is no wider than the window (a phone must not scroll sideways).
async fn fits(b: &Browser, what: &str) {
    let w = b
        .client()
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (w[0].as_f64().unwrap(), w[1].as_f64().unwrap());
    assert!(
        scroll <= inner,
        "{what} is {scroll}px wide in a {inner}px window"
    );
}

/// Sets a date-time field as a person picking a time would (typing into one depends on the
/// browser's locale).
async fn set_time(b: &Browser, css: &str, value: &str) {
    b.client()
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_station_head_opens_retimes_and_restores_on_a_desktop_and_a_phone() {
    if !chromium().await {
        return;
    }
    let (app, _fake) = desk_app().await;
    for (size, builder) in sizes() {
        let b = builder.launch().await.unwrap();
        sign_in(&b, &app, "station").await;
        b.goto(&app.url("/desk/interruptions")).await;
        b.fill("#open-estates", "滨河花园").await;
        b.fill("#open-cause", CAUSE).await;
        set_time(&b, "#open-eta", &field_time(5)).await;
        fits(&b, &format!("the interruptions page ({size})")).await;
        b.screenshot(&format!("desk-interruptions-{size}")).await;
        b.click("#open-submit").await;
        let card = b
            .wait_for_text("#interruptions .card.interruption", CAUSE, WAIT)
            .await;
        assert!(card.contains("滨河花园"), "{card}");
        let id = app.state.incidents.unrestored()[0].id;

        let later = field_time(9);
        set_time(&b, ".card.interruption form.eta input[name=eta]", &later).await;
        b.click(".card.interruption form.eta button").await;
        let shown = later.replace('T', " ");
        b.wait_for_text("#interruptions .card.interruption", &shown, WAIT)
            .await;
        assert_eq!(app.state.incidents.events(id).await.unwrap().len(), 2);
        fits(&b, &format!("the interruptions page with a card ({size})")).await;

        b.click(".card.interruption button.restore").await;
        b.wait_for("#interruptions p.empty", WAIT).await;
        assert!(app.state.incidents.unrestored().is_empty(), "{size}");
        b.close().await;
    }
}

#[tokio::test]
async fn the_hotline_shows_the_callers_interruption_on_a_desktop_and_a_phone() {
    if !chromium().await {
        return;
    }
    let (app, _fake) = desk_app().await;
    let opened = super::open_for(&app, "滨河花园").await;
    let advice = app.state.meanwhile.text(Channel::Hotline);
    assert!(
        advice.is_some(),
        "the hotline shows the phrasebook's advice"
    );
    let told = describe(&app.state.locales, "zh-CN", &opened, advice.as_deref());
    for (size, builder) in sizes() {
        let b = builder.launch().await.unwrap();
        sign_in(&b, &app, "agent").await;
        b.goto(&app.url("/desk/hotline")).await;
        b.fill("#caller-account", BINHE).await;
        b.fill("#caller-text", "家里暖气不热，摸着凉").await;
        let banner = b
            .wait_for_text("#assist-results #interruptions-banner", CAUSE, WAIT)
            .await;
        assert!(banner.contains(&told), "{size}: {banner}");
        fits(&b, &format!("the hotline ({size})")).await;
        b.screenshot(&format!("desk-hotline-interruption-{size}"))
            .await;
        b.close().await;
    }
}

#[tokio::test]
async fn residents_read_the_public_page_without_a_login_on_a_phone_and_a_desktop() {
    if !chromium().await {
        return;
    }
    let (app, _fake) = desk_app().await;
    let opened = super::open_for(&app, "滨河花园").await;
    let advice = app.state.meanwhile.text(Channel::Wechat);
    assert!(advice.is_some(), "the page shows the phrasebook's advice");
    let told = describe(&app.state.locales, "zh-CN", &opened, advice.as_deref());
    for (size, builder) in sizes() {
        let b = builder.launch().await.unwrap();
        b.goto(&app.url("/interruptions")).await;
        let article = b
            .wait_for_text(
                &format!("article.interruption[data-id='{}']", opened.id),
                CAUSE,
                WAIT,
            )
            .await;
        assert!(article.contains(&told), "the bot's own words: {article}");
        let district = b.text_of("h3.district").await;
        assert_eq!(district, "海勃湾区");
        fits(&b, &format!("the public page ({size})")).await;
        b.screenshot(&format!("public-interruptions-{size}")).await;
        b.close().await;
    }
}
