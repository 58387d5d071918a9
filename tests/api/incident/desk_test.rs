//! The desk's page for interruptions over HTTP: a station head opens, re-times and restores
//! in their own district only; an admin everywhere; a manager and the office read and change
//! nothing; refused input stores nothing. The queue's conversation and the hotline show the
//! interruptions at the resident's address above the suggested replies.

use chrono::Utc;
use heatdesk::entities::UTILITY_TZ;
use heatdesk::handoff;
use heatdesk::incident::triage::Outcome;
use heatdesk::service::AccountNo;

use super::{BINHE, CAUSE, SUHAITU};
use crate::desk::{desk_app, DeskClient, Resident, DEMO_PASSWORD};
use crate::helpers::TestApp;

/// A time as a browser's date-time field sends it, `hours` from now, in the utility's zone.
pub(super) fn field_time(hours: i64) -> String {
    (Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn open_as(who: &DeskClient, estates: &str, eta: &str) -> reqwest::Response {
    who.post(
        "/desk/interruptions",
        &[
            ("kind", "fault"),
            ("estates", estates),
            ("cause", CAUSE),
            ("eta", eta),
        ],
    )
    .await
}

async fn unrestored(app: &TestApp) -> Vec<heatdesk::incident::Interruption> {
    app.state.incidents.store().unrestored().await.unwrap()
}

fn card(id: i64) -> String {
    format!("data-id=\"{id}\"")
}

#[tokio::test]
async fn a_station_head_changes_the_interruptions_of_the_own_district_only() {
    let (app, _fake) = desk_app().await;
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let wuda = DeskClient::login(&app, "station2", DEMO_PASSWORD).await;

    // Outside the own district (苏海图小区 is in 乌达区): refused with the reason, nothing stored.
    let refused = open_as(&station, "苏海图小区", &field_time(5)).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    let why = app
        .state
        .locales
        .text("zh-CN", "incident-estate-outside-district", &[]);
    assert!(page.contains(&why), "{page}");
    assert!(page.contains(CAUSE), "what was typed is kept");
    // An expected restoration in the past, an unknown estate: refused too.
    let past = open_as(&station, "滨河花园", &field_time(-2)).await;
    assert_eq!(past.status(), 422);
    let unknown = open_as(&station, "月亮湾小区", &field_time(5)).await;
    assert_eq!(unknown.status(), 422);
    assert!(unrestored(&app).await.is_empty(), "nothing stored");

    let opened = open_as(&station, "滨河花园", &field_time(5)).await;
    assert_eq!(opened.status(), 303);
    let list = unrestored(&app).await;
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i.scope.district, "海勃湾区");
    assert_eq!(i.opened_by, "station");
    assert!(station
        .page("/desk/interruptions")
        .await
        .contains(&card(i.id)));

    // Another district's station neither sees nor changes it.
    let theirs = wuda.page("/desk/interruptions").await;
    assert!(!theirs.contains(&card(i.id)), "{theirs}");
    let eta = format!("/desk/interruptions/{}/eta", i.id);
    let restore = format!("/desk/interruptions/{}/restore", i.id);
    let new_eta = field_time(8);
    let res = wuda.post(&eta, &[("eta", new_eta.as_str())]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(wuda.post(&restore, &[]).await.status(), 404);
    assert_eq!(app.state.incidents.events(i.id).await.unwrap().len(), 1);

    // The own station re-times it (a bad time is refused first) and restores it.
    let bad = station.post(&eta, &[("eta", "tomorrow")]).await;
    assert_eq!(bad.status(), 422);
    let res = station.post(&eta, &[("eta", new_eta.as_str())]).await;
    assert_eq!(res.status(), 303);
    let events = app.state.incidents.events(i.id).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(station.post(&restore, &[]).await.status(), 303);
    assert!(unrestored(&app).await.is_empty());
    // A second click finds it restored: no error, nothing more.
    assert_eq!(station.post(&restore, &[]).await.status(), 303);
    assert_eq!(app.state.incidents.events(i.id).await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_admin_changes_everywhere_and_managers_and_the_office_only_read() {
    let (app, _fake) = desk_app().await;
    let admin = DeskClient::login(&app, "admin", DEMO_PASSWORD).await;
    let opened = admin
        .post(
            "/desk/interruptions",
            &[
                ("kind", "planned"),
                ("district", "乌达区"),
                ("estates", "苏海图小区"),
                ("cause", CAUSE),
                ("eta", &field_time(6)),
            ],
        )
        .await;
    assert_eq!(opened.status(), 303);
    let id = unrestored(&app).await[0].id;

    for who in ["manager", "curator"] {
        let reader = DeskClient::login(&app, who, DEMO_PASSWORD).await;
        let page = reader.page("/desk/interruptions").await;
        assert!(page.contains(&card(id)), "{who} reads it");
        assert!(!page.contains("id=\"open-interruption\""), "{who}: no form");
        assert!(!page.contains("/restore"), "{who}: no restore button");
        assert!(page.contains("id=\"triage\""), "{who}: the triage figures");
        let new_eta = field_time(9);
        let refused = [
            open_as(&reader, "滨河花园", &field_time(5)).await,
            reader
                .post(
                    &format!("/desk/interruptions/{id}/eta"),
                    &[("eta", new_eta.as_str())],
                )
                .await,
            reader
                .post(&format!("/desk/interruptions/{id}/restore"), &[])
                .await,
        ];
        for res in refused {
            assert_eq!(res.status(), 403, "{who}");
        }
    }
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    assert_eq!(agent.get("/desk/interruptions").await.status(), 403);

    // What triage saved: two cases ended without a visit, one went on to a visit.
    let log = app.state.incidents.triage();
    for o in [Outcome::Interruption, Outcome::Arrears, Outcome::Visit] {
        log.record(o, "not_warm", Some("乌达区"), Utc::now())
            .await
            .unwrap();
    }
    let manager = DeskClient::login(&app, "manager", DEMO_PASSWORD).await;
    let page = manager.page("/desk/interruptions").await;
    assert!(
        page.contains("data-avoided=\"2\" data-total=\"3\""),
        "{page}"
    );
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let theirs = station.page("/desk/interruptions").await;
    assert!(
        theirs.contains("data-avoided=\"0\""),
        "海勃湾区 had none: {theirs}"
    );
    assert_eq!(unrestored(&app).await.len(), 1);
    assert_eq!(app.state.incidents.events(id).await.unwrap().len(), 1);

    let restored = admin
        .post(&format!("/desk/interruptions/{id}/restore"), &[])
        .await;
    assert_eq!(restored.status(), 303);
    assert!(unrestored(&app).await.is_empty());
}

#[tokio::test]
async fn the_hotline_and_the_conversation_show_the_interruption_at_the_address() {
    let (app, _fake) = desk_app().await;
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    assert_eq!(
        open_as(&station, "滨河花园", &field_time(5)).await.status(),
        303
    );
    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;

    let covered = agent
        .page(&format!(
            "/desk/hotline?text=%E6%9A%96%E6%B0%94%E4%B8%8D%E7%83%AD&account={BINHE}"
        ))
        .await;
    let banner = covered
        .find("id=\"interruptions-banner\"")
        .expect("the banner at a covered address");
    assert!(covered[banner..].contains(CAUSE));
    let scripts = covered.find("data-entry=").expect("the scripts");
    assert!(banner < scripts, "the interruption comes above the scripts");
    let elsewhere = agent
        .page(&format!(
            "/desk/hotline?text=%E6%9A%96%E6%B0%94%E4%B8%8D%E7%83%AD&account={SUHAITU}"
        ))
        .await;
    assert!(!elsewhere.contains("interruptions-banner"));

    // A resident of the estate asks for a person; the agent's page of the conversation says
    // what the resident was told, above the suggestions.
    let resident = Resident::new(&app.state, "o-desk-binhe");
    app.state
        .conversations
        .bind(
            &resident.user,
            &AccountNo::parse(BINHE).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    resident.says("我要转人工").await;
    let h = handoff::store_for(&app.state.db)
        .open_for(&resident.user)
        .await
        .unwrap()
        .unwrap();
    agent
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    let page = agent.page(&format!("/desk/handoffs/{}", h.id)).await;
    let banner = page
        .find("id=\"interruptions-banner\"")
        .expect("the banner on the conversation");
    assert!(page[banner..].contains(CAUSE));
    let suggestions = page.find("id=\"suggestions\"").expect("suggestions");
    assert!(banner < suggestions, "above the suggested replies");
}
