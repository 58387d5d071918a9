//! `heatdesk compensation export`: the desk's CSV from the command line, run as a binary on
//! the database a serving instance wrote.

use std::process::{Command, Output};

use chrono::{Datelike, Duration as Span, TimeZone, Utc};
use heatdesk::compensation::{Compensation, MeasurementForm};
use heatdesk::service::{AccountNo, IdempotencyKey, NewRequest, RequestKind};

use crate::helpers::{repo, spawn_app, TestApp};

const ACCOUNT: &str = "10010003";

fn heatdesk_cli(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}/heatdesk.db", app.dir().display()),
        )
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_command_line_exports_the_desks_csv() {
    let app = spawn_app().await;
    let comp = &app.state.compensation;
    // A season that is over, so the figure does not move while the test runs.
    let label = (Utc::now().year() - 2).to_string();
    let season = Compensation::parse_season(&label).unwrap();
    let start = season.start(&comp.rules);
    let measured_at = heatdesk::entities::UTILITY_TZ
        .from_local_datetime(&start.and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
        + Span::days(10);
    let request = app
        .state
        .service
        .create_request(&NewRequest {
            idempotency_key: IdempotencyKey::parse("compensation-cli-inspection").unwrap(),
            account: AccountNo::parse(ACCOUNT).unwrap(),
            kind: RequestKind::Inspection,
            urgent: false,
            details: serde_json::json!({ "problem": "卧室室温低" }),
        })
        .await
        .unwrap();
    let form = MeasurementForm {
        rooms: vec![("卧室".into(), "15".into())],
        measured_at,
        agreed: true,
        photo: None,
    };
    let new = comp.check(&request, form, "station", Utc::now()).unwrap();
    comp.record(&new).await.unwrap();
    let desk = heatdesk::compensation::csv(season, &comp.season(season, Utc::now()).await.unwrap());
    assert!(
        desk.lines().count() == 2 && desk.contains(ACCOUNT),
        "{desk}"
    );

    let out = heatdesk_cli(&app, &["compensation", "export", "--season", &label]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), desk, "stdout");

    let file = app.dir().join("owed.csv");
    let out = heatdesk_cli(
        &app,
        &[
            "compensation",
            "export",
            "--season",
            &label,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), desk, "--out");

    let bad = heatdesk_cli(&app, &["compensation", "export", "--season", "last"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--season"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
