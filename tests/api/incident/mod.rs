//! Interruptions of the heat supply: the store on both backends, refusals that store
//! nothing, the token-protected API, the command line, residents told first through the
//! signed WeChat callback, and one notice per subscriber when heat is back, also with two
//! instances on one PostgreSQL.
//! The desk's page for interruptions and the public page are tested in `desk_test` and
//! `browser_test`.

#![allow(clippy::unwrap_used)]

mod api_test;
mod browser_test;
mod desk_test;
mod store_test;
mod wechat_test;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use heatdesk::incident::{Incidents, Kind, NewInterruption, NoticeRun};
use heatdesk::notify::Notifier;
use heatdesk::storage::Database;

use crate::helpers::{repo, settings};

pub(crate) const CAUSE: &str = "滨河路供热主管道爆裂，正在抢修";
/// Bound to 滨河花园 (demo account 10010001, 3号楼).
pub(crate) const BINHE: &str = "10010001";
/// 苏海图小区 in 乌达区 (demo account 20020001): all paid, nothing on the account.
pub(crate) const SUHAITU: &str = "20020001";

pub(crate) fn hours(h: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(h)
}

pub(crate) fn locales() -> Arc<heatdesk::i18n::Locales> {
    let root = repo();
    Arc::new(heatdesk::i18n::Locales::load(&root.join("locales"), "zh-CN").unwrap())
}

pub(crate) fn new(estates: &[&str], eta: DateTime<Utc>) -> NewInterruption {
    NewInterruption {
        kind: Kind::Fault,
        district: None,
        estates: estates.iter().map(|e| (*e).to_owned()).collect(),
        buildings: Vec::new(),
        cause: CAUSE.to_owned(),
        starts_at: None,
        eta,
    }
}

pub(crate) async fn incidents_on(
    db: &Database,
    dir: &Path,
    notices: Option<NoticeRun>,
) -> Incidents {
    let s = settings(dir);
    let base = heatdesk::app::incidents(&s, db, None, &locales())
        .await
        .unwrap();
    match notices {
        None => base,
        Some(run) => Incidents::new(
            heatdesk::incident::store_for(db),
            base.places().clone(),
            db.clone(),
            Some(run),
        )
        .await
        .unwrap(),
    }
}

pub(crate) fn held_run(db: &Database, lease: chrono::Duration) -> NoticeRun {
    NoticeRun {
        store: heatdesk::incident::store_for(db),
        notifier: Notifier {
            conversations: heatdesk::transcript::store_for(db),
            store: heatdesk::notify::store_for(db),
            bot: None,
            locales: locales(),
            settings: std::sync::Arc::new(heatdesk::notify::NoticeSettings::default()),
        },
        locales: locales(),
        lease,
    }
}

/// An interruption of `estate` opened by the dispatch system, expected back in 5 hours.
pub(crate) async fn open_for(
    app: &crate::helpers::TestApp,
    estate: &str,
) -> heatdesk::incident::Interruption {
    app.state
        .incidents
        .open(&new(&[estate], hours(5)), "dispatch")
        .await
        .unwrap()
}

/// `[interruptions] meanwhile` names a phrasebook entry of one of the intents an interruption
/// answers first; anything else is refused when the dialogue data is checked.
#[tokio::test]
async fn the_advice_told_with_interruptions_must_be_an_entry_of_their_intents() {
    let app = crate::helpers::spawn_app().await;
    let engine = app.state.engine.current();
    let dir = tempfile::tempdir().unwrap();
    let check = |meanwhile: &str| {
        let path = dir.path().join("dialogue.toml");
        let text = format!(
            "[interruptions]\nintents = [\"not_warm\", \"repair_service\"]\nmeanwhile = \"{meanwhile}\"\n"
        );
        std::fs::write(&path, text).unwrap();
        let data = heatdesk::dialogue::DialogueData::load(&path).unwrap();
        data.check(engine.catalog()).map(|()| data.meanwhile())
    };
    let shipped = check("not_warm.interruption_meanwhile").unwrap();
    assert_eq!(
        shipped.map(|e| e.to_string()).as_deref(),
        Some("not_warm.interruption_meanwhile")
    );
    let unknown = check("not_warm.no_such_entry").unwrap_err();
    assert!(
        unknown.contains("unknown phrasebook entry `not_warm.no_such_entry`"),
        "{unknown}"
    );
    let elsewhere = check("hall_info.halls").unwrap_err();
    assert!(
        elsewhere.contains("`hall_info.halls` belongs to intent `hall_info`"),
        "{elsewhere}"
    );
}
