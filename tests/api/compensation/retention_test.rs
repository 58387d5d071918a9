//! Measurement photos go with `[retention] photos_days`, by the same purge as residents'
//! photos; the measurement stays (what the account is owed does not change).

use chrono::{Duration as Span, Utc};
use heatdesk::compensation::{MeasurementForm, Photo};
use heatdesk::privacy::{Privacy, RetentionSettings};
use heatdesk::service::{AccountNo, IdempotencyKey, NewRequest, RequestKind};

use super::{apps, png};

#[tokio::test]
async fn the_purge_clears_old_measurement_photos_and_keeps_the_measurement() {
    for (app, _fake) in apps().await {
        let comp = &app.state.compensation;
        let request = app
            .state
            .service
            .create_request(&NewRequest {
                idempotency_key: IdempotencyKey::parse("compensation-retention").unwrap(),
                account: AccountNo::parse("10010003").unwrap(),
                kind: RequestKind::Inspection,
                urgent: false,
                details: serde_json::json!({ "problem": "cold" }),
            })
            .await
            .unwrap();
        let now = Utc::now();
        let form = MeasurementForm {
            rooms: vec![("bedroom".into(), "16".into())],
            measured_at: now - Span::hours(1),
            agreed: true,
            photo: Some(Photo {
                content_type: "image/png".into(),
                bytes: png(4096),
            }),
        };
        let m = comp
            .record(&comp.check(&request, form, "station", now).unwrap())
            .await
            .unwrap();
        assert!(comp.store.photo(m.id).await.unwrap().is_some());

        let settings = RetentionSettings {
            photos_days: 30,
            ..RetentionSettings::default()
        };
        let privacy = Privacy::new(app.state.db.clone());
        // The day before the limit: kept.
        let purged = privacy
            .purge(&settings, now + Span::days(29))
            .await
            .unwrap();
        assert_eq!(purged.of("measurement_photos"), 0);
        assert!(comp.store.photo(m.id).await.unwrap().is_some());

        let purged = privacy
            .purge(&settings, now + Span::days(31))
            .await
            .unwrap();
        assert_eq!(purged.of("measurement_photos"), 1);
        assert!(comp.store.photo(m.id).await.unwrap().is_none());
        let kept = comp.for_request(request.id.as_str()).await.unwrap();
        assert_eq!(kept.len(), 1, "the measurement stays");
        assert!(!kept[0].has_photo && kept[0].below());
        assert_eq!(kept[0].lowest_celsius, 16.0);
    }
}
