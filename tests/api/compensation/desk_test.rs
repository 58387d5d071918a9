//! The station's measurement form, the resident's notice with both deadlines, the
//! counter's list and CSV, and who may see them.

use std::time::Duration;

use chrono::{Duration as Span, Utc};
use heatdesk::entities::UTILITY_TZ;
use heatdesk::service::{AccountNo, IdempotencyKey, NewRequest, RequestKind, ServiceRequest};
use reqwest::header;

use super::{apps, multipart, png};
use crate::desk::{desk_app, DeskClient, DEMO_PASSWORD};
use crate::helpers::TestApp;

/// A room-temperature inspection on 10010003 (海勃湾区, the demo `station`'s district).
pub(super) async fn inspection(app: &TestApp) -> ServiceRequest {
    app.state
        .service
        .create_request(&NewRequest {
            idempotency_key: IdempotencyKey::parse("compensation-test-inspection").unwrap(),
            account: AccountNo::parse("10010003").unwrap(),
            kind: RequestKind::Inspection,
            urgent: false,
            details: serde_json::json!({ "problem": "卧室室温低", "phone": "15804733003" }),
        })
        .await
        .unwrap()
}

/// A station measured 15 °C in a bedroom of 10010003 two days ago at noon: the 14-16 band
/// (50 %), three local days owed so far.
pub(super) async fn measured_cold_two_days_ago(app: &TestApp) -> ServiceRequest {
    let request = inspection(app).await;
    let station = DeskClient::login(app, "station", DEMO_PASSWORD).await;
    let two_days_ago = (Utc::now().with_timezone(&UTILITY_TZ) - Span::days(2))
        .format("%Y-%m-%dT12:00")
        .to_string();
    let res = post_measurement(
        &station,
        &request,
        &[
            ("room_1", "卧室"),
            ("celsius_1", "15"),
            ("measured_at", &two_days_ago),
            ("agreed", "no"),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 303);
    request
}

pub(super) async fn post_measurement(
    station: &DeskClient,
    request: &ServiceRequest,
    fields: &[(&str, &str)],
    photo: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let (content_type, body) = multipart(&station.csrf, fields, photo);
    station
        .client
        .post(format!(
            "{}/desk/orders/{}/measurement",
            station.base, request.id
        ))
        .header(header::COOKIE, &station.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn local(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[tokio::test]
async fn a_measurement_below_the_standard_tells_the_resident_both_deadlines() {
    for (app, fake) in apps().await {
        let request = inspection(&app).await;
        let conversations = heatdesk::transcript::store_for(&app.state.db);
        conversations
            .bind("o-measured", &request.account, Utc::now())
            .await
            .unwrap();
        fake.touch_user("o-measured");
        let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
        let measured_at = Utc::now() - Span::hours(2);
        let typed = measured_at
            .with_timezone(&UTILITY_TZ)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let photo = png(2048);
        let res = post_measurement(
            &station,
            &request,
            &[
                ("room_1", "卧室"),
                ("celsius_1", "17.5"),
                ("room_2", "客厅"),
                ("celsius_2", "19"),
                ("measured_at", &typed),
                ("agreed", "yes"),
            ],
            Some(("image/png", &photo)),
        )
        .await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());

        let stored = app
            .state
            .compensation
            .for_request(request.id.as_str())
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        let m = &stored[0];
        assert!(m.below() && m.agreed && m.has_photo);
        assert_eq!(m.lowest_celsius, 17.5);
        assert_eq!(m.min_celsius, 18.0, "rules.indoor_min_celsius");
        let rectify_by = m
            .rectify_by
            .expect("a rectification deadline below the standard");
        // commitments.rectification_days (3) from the minute typed.
        assert_eq!(local(rectify_by - Span::days(3)), local(measured_at));
        let visit_due = request.created_at + Span::hours(72);
        // PostgreSQL keeps microseconds.
        assert!(
            (m.visit_due - visit_due).num_milliseconds().abs() < 1,
            "commitments.inspection_hours: {} {visit_due}",
            m.visit_due
        );

        fake.wait_for_messages(1, Duration::from_secs(10)).await;
        let told = fake.texts_to("o-measured");
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains(&local(rectify_by)), "{told:?}");
        assert!(told[0].contains(&local(visit_due)), "{told:?}");
        assert!(
            told[0].contains("17.5") && told[0].contains("18"),
            "{told:?}"
        );

        // The work order shows both deadlines and the photo.
        let page = station.page("/desk/orders").await;
        assert!(page.contains(&local(visit_due)), "{page}");
        assert!(page.contains(&local(rectify_by)), "{page}");
        let res = station
            .get(&format!("/desk/measurements/{}/photo", m.id))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(res.bytes().await.unwrap().len(), photo.len());
    }
}

#[tokio::test]
async fn bad_measurements_are_refused_with_a_reason_and_store_nothing() {
    let (app, _fake) = desk_app().await;
    let request = inspection(&app).await;
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let big = png(heatdesk::compensation::PHOTO_MAX_BYTES + 1);
    let renamed = b"GIF89a-not-a-png".to_vec();
    // (what, fields, photo, status, what the page says)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        Option<(&'a str, &'a [u8])>,
        u16,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "a temperature that is not a number",
            vec![("room_1", "卧室"), ("celsius_1", "很冷"), ("agreed", "yes")],
            None,
            400,
            "温度不是",
        ),
        (
            "no room",
            vec![("agreed", "no")],
            None,
            400,
            "至少填写一个房间",
        ),
        (
            "an oversized photo",
            vec![("room_1", "卧室"), ("celsius_1", "16"), ("agreed", "yes")],
            Some(("image/png", &big)),
            413,
            "超过 2 MB",
        ),
        (
            "a file that is not the image it claims",
            vec![("room_1", "卧室"), ("celsius_1", "16"), ("agreed", "yes")],
            Some(("image/png", &renamed)),
            400,
            "JPEG、PNG 或 WebP",
        ),
    ];
    for (name, fields, photo, status, says) in cases {
        let res = post_measurement(&station, &request, &fields, photo).await;
        assert_eq!(res.status().as_u16(), status, "{name}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{name}: {body}");
    }
    let stored = app
        .state
        .compensation
        .for_request(request.id.as_str())
        .await
        .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test]
async fn the_counter_lists_and_exports_what_is_owed_and_others_may_not() {
    let (app, _fake) = desk_app().await;
    let request = measured_cold_two_days_ago(&app).await;
    let season = app.state.compensation.current_season(Utc::now());

    for who in ["station", "curator", "manager"] {
        let user = DeskClient::login(&app, who, DEMO_PASSWORD).await;
        assert_eq!(user.get("/desk/compensation").await.status(), 403, "{who}");
        let csv = format!("/desk/compensation.csv?season={}", season.start_year);
        assert_eq!(user.get(&csv).await.status(), 403, "{who}");
    }
    for who in ["agent", "admin"] {
        let user = DeskClient::login(&app, who, DEMO_PASSWORD).await;
        let page = user.page("/desk/compensation").await;
        assert!(page.contains("data-account=\"10010003\""), "{who}: {page}");

        let res = user
            .get(&format!(
                "/desk/compensation.csv?season={}",
                season.start_year
            ))
            .await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = res.text().await.unwrap();
        let line = csv
            .lines()
            .find(|l| l.contains(",10010003,"))
            .unwrap_or_else(|| panic!("{csv}"));
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], season.label());
        assert_eq!(cells[4], "below_standard");
        assert_eq!(cells[5], "15");
        assert_eq!(cells[7], "3", "days from the measurement through today");
        assert_eq!(cells[8], "50");
        // 120 m² × 22.50 yuan over the season's days, half of three days.
        let owed = app
            .state
            .compensation
            .owed(&request.account, season, Utc::now())
            .await
            .unwrap();
        assert_eq!(cells[9], owed.owed.lines[0].amount.yuan());
        assert!(owed.owed.total.0 > 0);
    }
    let bad = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    assert_eq!(
        bad.get("/desk/compensation.csv?season=next").await.status(),
        400
    );
}
