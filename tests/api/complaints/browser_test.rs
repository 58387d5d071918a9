//! The complaint pages and the reports in Chromium, at desktop and phone width: a manager
//! reads the charts (their SVG labels carry the seeded figures) and downloads a CSV; an
//! agent works a case from the list, which shows an overdue case in red.

use std::time::Duration;

use chrono::Duration as Span;
use serde_json::json;

use super::reports_test::seed;
use super::{apps, t0};
use crate::browser::{Browser, BrowserBuilder};
use crate::desk::{Resident, DEMO_PASSWORD};
use crate::helpers::TestApp;

const WAIT: Duration = Duration::from_secs(10);

async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.goto(&app.url("/desk/login")).await;
    b.fill("#name", name).await;
    b.fill("#password", DEMO_PASSWORD).await;
    b.click("#login").await;
    b.wait_for("header.top", WAIT).await;
}

async fn sign_out(b: &Browser) {
    b.click("header.top button.link").await;
    b.wait_for("#login", WAIT).await;
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

fn sizes() -> [(&'static str, BrowserBuilder); 2] {
    [
        ("desktop", Browser::builder().desktop()),
        ("phone", Browser::builder().phone()),
    ]
}

#[tokio::test]
async fn a_manager_reads_the_charts_and_downloads_a_csv_on_a_desktop_and_a_phone() {
    let Some(probe) = crate::browser::browser().await else {
        return;
    };
    probe.close().await;
    let (app, _fake) = apps().await.remove(0);
    seed(&app).await;
    for (size, builder) in sizes() {
        let b = builder.launch().await.unwrap();
        sign_in(&b, &app, "manager").await;
        b.goto(&app.url("/desk/reports?from=2026-12-03&to=2026-12-04"))
            .await;
        b.wait_for("svg[data-chart=volume]", WAIT).await;
        let labels = b
            .client()
            .execute(
                "return [...document.querySelectorAll('svg.chart text.value')].map(t =>
                    t.closest('svg').dataset.chart + '|' + t.dataset.category + '|' +
                    t.dataset.series + '|' + t.textContent);",
                vec![],
            )
            .await
            .unwrap();
        let labels: Vec<String> = serde_json::from_value(labels).unwrap();
        for expected in [
            "volume|12-03|微信|2",
            "volume|12-03|热线|1",
            "volume|12-04|柜台|1",
            "understanding|12-03|未答复率|33.3%",
            "self-service|自助完成|居民|2",
            "wait|p50|秒|120",
            "agents|客服 李娜|平均评分|5",
            "complaints|已超时|数量|1",
        ] {
            assert!(
                labels.iter().any(|l| l == expected),
                "{expected} not drawn ({size}): {labels:?}"
            );
        }
        // The table beside the chart says the same.
        let table = b.text_of("#report-complaints table").await;
        assert!(table.contains('4') && table.contains("4.00"), "{table}");
        // The CSV link downloads with the manager's session.
        let csv = b
            .client()
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 fetch(document.querySelector('#report-volume a.csv').href)
                   .then(r => r.text()).then(done);",
                vec![],
            )
            .await
            .unwrap();
        // (The browser's text decoder drops the byte-order mark.)
        assert_eq!(
            csv,
            json!("日期,柜台,热线,微信\r\n2026-12-03,0,1,2\r\n2026-12-04,1,0,1\r\n")
        );
        fits(&b, "the reports").await;
        // A manager's desk has the reports and the complaints, nothing to act on.
        let nav = b.text_of("header.top nav").await;
        assert!(!nav.contains("队列") && !nav.contains("用户"), "{nav}");
        b.screenshot(&format!("reports-manager-{size}")).await;
        sign_out(&b).await;
        b.close().await;
    }
}

#[tokio::test]
async fn an_agent_works_a_case_from_the_list_on_a_desktop_and_a_phone() {
    let Some(probe) = crate::browser::browser().await else {
        return;
    };
    probe.close().await;
    let (app, _fake) = apps().await.remove(0);
    let c = &app.state.complaints;
    c.clock.pin(t0());
    for (size, builder) in sizes() {
        let user = format!("o-browser-complaint-{size}");
        Resident::new(&app.state, &user)
            .says_at("问题拖了一个月没人处理，我要投诉", t0())
            .await;
        // One older case is past its contact deadline: red in the list.
        let (late, _) = c
            .open(
                &format!("o-late-{size}"),
                "说好上门检测的，放我鸽子",
                &format!("late-{size}"),
                None,
                None,
                t0() - Span::hours(13),
            )
            .await
            .unwrap();
        let case = c
            .store
            .for_user(&user)
            .await
            .unwrap()
            .pop()
            .expect("the bot lodged the complaint");

        let b = builder.launch().await.unwrap();
        sign_in(&b, &app, "agent").await;
        b.goto(&app.url("/desk/complaints")).await;
        let red = b
            .client()
            .execute(
                "return getComputedStyle(document.querySelector(
                    'tr.case[data-id=\"' + arguments[0] + '\"] td')).color;",
                vec![json!(late.id)],
            )
            .await
            .unwrap();
        assert_eq!(red, json!("rgb(185, 28, 28)"), "overdue is red ({size})");
        fits(&b, "the complaints list").await;
        b.screenshot(&format!("complaints-list-{size}")).await;

        b.click(&format!("tr.case[data-id=\"{}\"] a", case.id))
            .await;
        b.wait_for("#case", WAIT).await;
        let facts = b.text_of("#case .facts").await;
        assert!(facts.contains("问题拖了一个月没人处理"), "{facts}");
        b.fill("#case-note", "已转供热站核实").await;
        b.click("#add-case-note").await;
        b.wait_for_text("#case .timeline", "已转供热站核实", WAIT)
            .await;
        b.click("#take").await;
        b.wait_for_text("#case .owner", "李娜", WAIT).await;
        b.fill("#outcome", "已上门处理，居民认可").await;
        b.click("#close-case").await;
        b.wait_for("#case[data-status=closed]", WAIT).await;
        fits(&b, "the case page").await;
        b.screenshot(&format!("complaint-case-{size}")).await;
        sign_out(&b).await;
        b.close().await;
    }
}
