//! The store on both backends: history, refusals that store nothing, notices claimed once.

use chrono::Utc;
use heatdesk::incident::{IncidentError, Kind, NewInterruption};
use heatdesk::notify::Delivery;

use super::{held_run, hours, incidents_on, new};
use crate::helpers::all_databases;

#[tokio::test]
async fn interruptions_are_opened_changed_and_restored_with_their_history_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in all_databases(dir.path()).await {
        let incidents = incidents_on(&db, dir.path(), None).await;
        // An alias names the estate; its district comes from the register.
        let mut asked = new(&["滨河"], hours(6));
        asked.buildings = vec!["3号楼".to_owned()];
        let opened = incidents.open(&asked, "dispatcher").await.unwrap();
        assert_eq!(opened.scope.district, "海勃湾区");
        assert_eq!(opened.scope.estates, vec!["滨河花园".to_owned()]);
        assert_eq!(opened.opened_by, "dispatcher");
        let now = Utc::now();
        assert_eq!(
            incidents
                .current_for("海勃湾区", "滨河花园", "海勃湾区滨河花园3号楼2单元501", now)
                .len(),
            1,
            "the building in the scope is covered"
        );
        assert!(incidents
            .current_for("海勃湾区", "滨河花园", "海勃湾区滨河花园5号楼1单元101", now)
            .is_empty());
        assert!(incidents
            .current_for(
                "海勃湾区",
                "人民北路小区",
                "海勃湾区人民北路小区12号楼",
                now
            )
            .is_empty());

        let later = hours(9);
        let changed = incidents
            .set_eta(opened.id, later, "station-head")
            .await
            .unwrap();
        assert_eq!(changed.updated_by, "station-head");
        assert_eq!(changed.eta.timestamp(), later.timestamp());
        let restored = incidents.restore(opened.id, "station-head").await.unwrap();
        assert!(restored.restored_at.is_some());
        let kinds: Vec<&str> = incidents
            .events(opened.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(kinds, ["opened", "eta", "restored"]);
        assert!(incidents.unrestored().is_empty(), "restored: out of memory");
        assert!(matches!(
            incidents.set_eta(opened.id, hours(12), "x").await,
            Err(IncidentError::AlreadyRestored)
        ));
        assert!(matches!(
            incidents.restore(opened.id, "x").await,
            Err(IncidentError::AlreadyRestored)
        ));
        assert!(matches!(
            incidents.restore(999, "x").await,
            Err(IncidentError::NotFound)
        ));

        // A planned one is held, not yet in effect.
        let mut planned = new(&["新华园"], hours(30));
        planned.kind = Kind::Planned;
        planned.starts_at = Some(hours(24));
        let planned = incidents.open(&planned, "dispatcher").await.unwrap();
        assert_eq!(incidents.unrestored().len(), 1);
        assert!(!incidents.any_current(Utc::now()));
        assert!(incidents.any_current(hours(25)));
        incidents.restore(planned.id, "dispatcher").await.unwrap();
    }
}

#[tokio::test]
async fn a_refused_interruption_stores_nothing_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in all_databases(dir.path()).await {
        let incidents = incidents_on(&db, dir.path(), None).await;
        let mut before_start = new(&["滨河花园"], hours(2));
        before_start.starts_at = Some(hours(3));
        let mut no_cause = new(&["滨河花园"], hours(2));
        no_cause.cause = "  ".to_owned();
        let mut outside = new(&["滨河花园"], hours(2));
        outside.district = Some("乌达区".to_owned());
        let mut unknown_district = new(&[], hours(2));
        unknown_district.district = Some("火星区".to_owned());
        let cases: Vec<(NewInterruption, &str)> = vec![
            (new(&["不存在的小区"], hours(2)), "incident-unknown-estate"),
            (new(&["滨河花园"], hours(-1)), "incident-eta-in-past"),
            (before_start, "incident-end-before-start"),
            (no_cause, "incident-no-cause"),
            (outside, "incident-estate-outside-district"),
            (unknown_district, "incident-unknown-district"),
            (new(&[], hours(2)), "incident-no-scope"),
        ];
        for (asked, code) in cases {
            let refused = incidents.open(&asked, "x").await.unwrap_err();
            assert_eq!(refused.code(), code, "{asked:?}");
        }
        assert!(incidents.recent(10).await.unwrap().is_empty());
        assert_eq!(incidents.store().version().await.unwrap(), 0);

        let opened = incidents
            .open(&new(&["滨河花园"], hours(2)), "x")
            .await
            .unwrap();
        let refused = incidents
            .set_eta(opened.id, hours(-1), "x")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "incident-eta-in-past");
        assert_eq!(incidents.events(opened.id).await.unwrap().len(), 1);
    }
}

/// Two instances see the same change at once: each subscriber's notice is held once, and a
/// claim left by an instance that died is held after the lease, once.
#[tokio::test]
async fn each_subscriber_is_told_of_a_change_once_by_racing_instances_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for db in all_databases(dir.path()).await {
        let lease = chrono::Duration::seconds(60);
        let a = incidents_on(&db, dir.path(), Some(held_run(&db, lease))).await;
        let b = incidents_on(&db, dir.path(), Some(held_run(&db, lease))).await;
        // Opened elsewhere (the command line): nothing told in the background here.
        let cli = incidents_on(&db, dir.path(), None).await;
        let opened = cli.open(&new(&["滨河花园"], hours(4)), "x").await.unwrap();
        assert!(a.subscribe(opened.id, "o-first", Utc::now()).await.unwrap());
        assert!(!a.subscribe(opened.id, "o-first", Utc::now()).await.unwrap());
        b.subscribe(opened.id, "o-second", Utc::now())
            .await
            .unwrap();

        // Both instances hear of the restoration and deliver at the same moment.
        a.store().restore(opened.id, Utc::now(), "x").await.unwrap();
        let (da, db_) = tokio::join!(a.deliver(), b.deliver());
        let mut told: Vec<String> = da
            .into_iter()
            .chain(db_)
            .map(|d| match d {
                Delivery::Held { user } | Delivery::Sent { user } | Delivery::Template { user } => {
                    user
                }
            })
            .collect();
        told.sort();
        assert_eq!(told, ["o-first", "o-second"]);
        assert!(a.deliver().await.is_empty(), "told once");

        let conversations = heatdesk::transcript::store_for(&db);
        let held = conversations.take_notices("o-first").await.unwrap();
        assert_eq!(held.len(), 1, "{held:?}");
        assert!(held[0].contains("已恢复供热"), "{held:?}");

        // A claim whose instance died before telling: held once the lease has passed.
        let second = cli.open(&new(&["新华园"], hours(4)), "x").await.unwrap();
        a.subscribe(second.id, "o-third", Utc::now()).await.unwrap();
        // Changed behind the instances' backs (as by another process): told at the next pass.
        let moved = a
            .store()
            .set_eta(second.id, hours(8), "x", Utc::now())
            .await
            .unwrap();
        let event = a.events(moved.id).await.unwrap().last().unwrap().id;
        a.subscribe(
            second.id,
            "o-fourth",
            Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
        let store = a.store();
        // o-fourth subscribed after the change: nothing for them.
        assert!(store
            .untold()
            .await
            .unwrap()
            .iter()
            .all(|s| s.user != "o-fourth"));
        assert!(store
            .claim(event, "o-dead", Utc::now() - chrono::Duration::hours(1))
            .await
            .unwrap());
        let (da, db_) = tokio::join!(a.deliver(), b.deliver());
        let stale: Vec<_> = da
            .into_iter()
            .chain(db_)
            .filter(|d| matches!(d, Delivery::Held { user } if user == "o-dead"))
            .collect();
        assert_eq!(stale.len(), 1);
        assert_eq!(conversations.take_notices("o-dead").await.unwrap().len(), 1);
        assert_eq!(
            conversations.take_notices("o-third").await.unwrap().len(),
            1
        );
    }
}
