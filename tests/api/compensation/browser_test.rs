//! The counter's compensation page in Chromium, at desktop and phone width: an agent reads
//! the account a station measured below the standard and the amount the calculation gives it,
//! on a phone without scrolling sideways, and downloads the season's CSV with the session.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use super::desk_test::measured_cold_two_days_ago;
use crate::browser::{Browser, BrowserBuilder, PHONE};
use crate::desk::{desk_app, DEMO_PASSWORD};
use crate::helpers::TestApp;

const WAIT: Duration = Duration::from_secs(10);
const ACCOUNT: &str = "10010003";

async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.goto(&app.url("/desk/login")).await;
    b.fill("#name", name).await;
    b.fill("#password", DEMO_PASSWORD).await;
    b.click("#login").await;
    b.wait_for("header.top", WAIT).await;
}

/// Runs `script` in the page and returns what it returns.
async fn js(b: &Browser, script: &str) -> Value {
    b.client().execute(script, vec![]).await.unwrap()
}

#[tokio::test]
async fn an_agent_reads_what_an_account_is_owed_on_a_desktop_and_a_phone() {
    let Some(probe) = crate::browser::browser().await else {
        return;
    };
    probe.close().await;

    // A station measured 15 °C in a bedroom two days ago at noon (the 14-16 band), so
    // 10010003 is owed part of three days' fee.
    let (app, _fake) = desk_app().await;
    let request = measured_cold_two_days_ago(&app).await;

    // What the calculation says, through the library rather than a number written here.
    let season = app.state.compensation.current_season(Utc::now());
    let owed = app
        .state
        .compensation
        .owed(&request.account, season, Utc::now())
        .await
        .unwrap();
    assert!(owed.owed.total.0 > 0, "the account is owed something");
    let amount = owed.owed.total.yuan();

    let sizes: [(&str, BrowserBuilder); 2] = [
        ("desktop", Browser::builder().desktop()),
        ("phone", Browser::builder().phone()),
    ];
    for (size, builder) in sizes {
        let b = builder.launch().await.unwrap();
        // Agents (the counter) may see the page; see desk_test for who may not.
        sign_in(&b, &app, "agent").await;
        b.goto(&app.url(&format!("/desk/compensation?season={}", season.start_year)))
            .await;
        let row = format!("table.compensation tr[data-account=\"{ACCOUNT}\"]");
        b.wait_for(&row, WAIT).await;
        let account = b.text_of(&format!("{row} td:first-child")).await;
        assert_eq!(account.trim(), ACCOUNT, "{size}");
        let shown = b.text_of(&format!("{row} td.num")).await;
        assert_eq!(shown.trim(), amount, "{size}: the row's amount");
        let reasons = b.text_of(&format!("{row} ul.reasons")).await;
        assert!(
            reasons.contains(&owed.owed.lines[0].amount.yuan()),
            "{size}: {reasons}"
        );
        let summary = b.text_of("p.summary").await;
        assert!(
            summary.contains(&amount) && summary.contains(&season.label()),
            "{size}: {summary}"
        );

        // The page is no wider than the window: no sideways scrolling. A phone's layout is
        // PHONE.0 CSS pixels wide (innerWidth may report more under emulation).
        let w = js(
            &b,
            "return [document.documentElement.scrollWidth, window.innerWidth,
                     document.documentElement.clientWidth];",
        )
        .await;
        let (scroll, inner, client) = (
            w[0].as_f64().unwrap(),
            w[1].as_f64().unwrap(),
            w[2].as_f64().unwrap(),
        );
        assert!(
            scroll <= inner && scroll <= client,
            "{size}: the page is {scroll}px wide in a {inner}px window ({client}px layout)"
        );
        if size == "phone" {
            assert!(
                scroll <= f64::from(PHONE.0),
                "the page is {scroll}px wide on a {}px phone",
                PHONE.0
            );
        }

        // The figures are readable: the amount and the account lie wholly inside the window
        // (not clipped by a scrolling box), in a legible size, and are what is on top there.
        for cell in ["td:first-child", "td.num"] {
            let seen = b
                .client()
                .execute(
                    "var e = document.querySelector(arguments[0]);
                     e.scrollIntoView({block: 'center'});
                     var r = e.getBoundingClientRect();
                     var top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                     return {left: r.left, right: r.right, width: r.width,
                             view: document.documentElement.clientWidth,
                             font: parseFloat(getComputedStyle(e).fontSize),
                             onTop: !!top && (top === e || e.contains(top)),
                             clipped: e.scrollWidth > e.clientWidth + 1};",
                    vec![json!(format!("{row} {cell}"))],
                )
                .await
                .unwrap();
            let f = |k: &str| seen[k].as_f64().unwrap();
            assert!(
                f("left") >= 0.0 && f("right") <= f("view") && f("width") > 0.0,
                "{size}: `{cell}` lies outside the window: {seen}"
            );
            assert!(f("font") >= 12.0, "{size}: `{cell}` is too small: {seen}");
            assert_eq!(
                seen["onTop"],
                json!(true),
                "{size}: `{cell}` is covered: {seen}"
            );
            assert_eq!(
                seen["clipped"],
                json!(false),
                "{size}: `{cell}` is cut off: {seen}"
            );
        }
        b.client()
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .unwrap();
        b.screenshot(&format!("compensation-{size}")).await;

        // The CSV link downloads the season's figures with the agent's session.
        let href = js(
            &b,
            "return document.querySelector('form.season a.csv').href;",
        )
        .await;
        let href = href.as_str().unwrap().to_owned();
        assert!(
            href.ends_with(&format!(
                "/desk/compensation.csv?season={}",
                season.start_year
            )),
            "{size}: {href}"
        );
        let got = b
            .client()
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 fetch(arguments[0], {credentials: 'same-origin'})
                   .then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])));",
                vec![json!(href)],
            )
            .await
            .unwrap();
        assert_eq!(got[0], json!(200), "{size}: {got}");
        assert!(
            got[1].as_str().unwrap().starts_with("text/csv"),
            "{size}: {got}"
        );
        let csv = got[2].as_str().unwrap();
        let line = csv
            .lines()
            .find(|l| l.contains(&format!(",{ACCOUNT},")))
            .unwrap_or_else(|| panic!("{size}: {ACCOUNT} not in the CSV: {csv}"));
        assert!(line.split(',').any(|c| c == amount), "{size}: {line}");
        b.close().await;
    }
}
