//! What each kind of notice says: the customer-service message (also what a resident
//! reads at their next message) and the template message's fields, from the locales.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;

use super::settings::{Field, Purpose};
use super::{Notice, Notifier};
use crate::entities::UTILITY_TZ;
use crate::service::ServiceRequest;

/// A time as template messages and residents read it, in the utility's zone.
fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

impl Notifier {
    fn text(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.locales.text(self.locales.default_locale(), id, args)
    }

    /// The words of a purpose's headline and closing line (`notice-title-…`,
    /// `notice-remark-…`).
    fn frame(&self, purpose: Purpose, fields: &mut BTreeMap<Field, String>) {
        let part = purpose.as_str().replace('_', "-");
        fields.insert(
            Field::Title,
            self.text(&format!("notice-title-{part}"), &[]),
        );
        fields.insert(
            Field::Remark,
            self.text(&format!("notice-remark-{part}"), &[]),
        );
    }

    /// The notices of a request's latest step, one per resident bound to its account.
    /// The key names the step (the timeline's length), so the same step told again (a
    /// replayed call) makes no second notice.
    pub(super) fn request_notices(
        &self,
        request: &ServiceRequest,
        users: &[String],
    ) -> Vec<Notice> {
        let kind = self.text(
            &format!("request-kind-{}", crate::domain::fluent_part(&request.kind)),
            &[],
        );
        let status = self.text(
            &format!(
                "request-status-{}",
                crate::domain::fluent_part(&request.status)
            ),
            &[],
        );
        let step = request.timeline.last();
        let note = step.and_then(|e| e.note.clone()).filter(|n| !n.is_empty());
        let mut args = vec![
            ("id", FluentValue::from(request.id.to_string())),
            ("kind", FluentValue::from(kind.clone())),
            ("status", FluentValue::from(status.clone())),
        ];
        let id = match &note {
            Some(note) => {
                args.push(("note", FluentValue::from(note.clone())));
                "notify-request-progress-note"
            }
            None => "notify-request-progress",
        };
        let text = self.text(id, &args);
        let mut fields = BTreeMap::new();
        self.frame(Purpose::RequestProgress, &mut fields);
        let remark = fields.get(&Field::Remark).cloned().unwrap_or_default();
        fields.insert(Field::Number, request.id.to_string());
        fields.insert(Field::Kind, kind);
        fields.insert(Field::Status, status);
        fields.insert(Field::Note, note.unwrap_or(remark));
        fields.insert(
            Field::Time,
            local(step.map_or(request.created_at, |e| e.at)),
        );
        let key = format!("request:{}:{}", request.id, request.timeline.len());
        progress_for_each(users, &key, &text, &fields)
    }

    /// A room of an inspection measured below the standard: when it will be put right, and
    /// by when the visit was promised. Sent as request progress (the same template): it is
    /// the inspection's next step as the resident sees it. The key names the measurement,
    /// so recording it is told once.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn measurement_below_notices(
        &self,
        request: &ServiceRequest,
        measurement: i64,
        users: &[String],
        lowest_celsius: f64,
        min_celsius: f64,
        visit_due: DateTime<Utc>,
        rectify_by: DateTime<Utc>,
    ) -> Vec<Notice> {
        let kind = self.text(
            &format!("request-kind-{}", crate::domain::fluent_part(&request.kind)),
            &[],
        );
        let text = self.text(
            "notify-measurement-below",
            &[
                ("id", FluentValue::from(request.id.to_string())),
                ("celsius", FluentValue::from(format!("{lowest_celsius}"))),
                ("standard", FluentValue::from(format!("{min_celsius}"))),
                ("visit_due", FluentValue::from(local(visit_due))),
                ("rectify_by", FluentValue::from(local(rectify_by))),
            ],
        );
        let status = self.text("notify-measurement-below-status", &[]);
        let note = self.text(
            "notify-measurement-below-note",
            &[("rectify_by", FluentValue::from(local(rectify_by)))],
        );
        let mut fields = BTreeMap::new();
        self.frame(Purpose::RequestProgress, &mut fields);
        fields.insert(Field::Number, request.id.to_string());
        fields.insert(Field::Kind, kind);
        fields.insert(Field::Status, status);
        fields.insert(Field::Note, note);
        fields.insert(Field::Time, local(Utc::now()));
        let key = format!("request:{}:measurement:{measurement}", request.id);
        progress_for_each(users, &key, &text, &fields)
    }

    /// The outcome of a closed complaint case and the follow-up question, for the
    /// resident who lodged it.
    pub fn complaint_outcome(
        &self,
        case: i64,
        user: &str,
        number: &str,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Notice {
        let text = self.text(
            "notice-complaint-outcome",
            &[
                ("number", FluentValue::from(number.to_owned())),
                ("outcome", FluentValue::from(outcome.to_owned())),
            ],
        );
        let mut fields = BTreeMap::new();
        self.frame(Purpose::ComplaintOutcome, &mut fields);
        fields.insert(Field::Number, number.to_owned());
        fields.insert(Field::Outcome, outcome.to_owned());
        fields.insert(Field::Time, local(at));
        Notice {
            key: format!("complaint:{case}:outcome"),
            user: user.to_owned(),
            purpose: Purpose::ComplaintOutcome,
            text,
            fields,
        }
    }

    /// A change of an interruption for one subscriber: `text` is the customer-service
    /// message; the template carries the place, the cause and the time heat is expected
    /// (or came) back. The key names the change, so each is told once.
    pub fn interruption_notice(&self, change: &InterruptionChange, user: &str) -> Notice {
        let mut fields = BTreeMap::new();
        self.frame(Purpose::Interruption, &mut fields);
        if change.restored {
            fields.insert(
                Field::Title,
                self.text("notice-title-interruption-restored", &[]),
            );
            fields.insert(
                Field::Remark,
                self.text("notice-remark-interruption-restored", &[]),
            );
        }
        fields.insert(Field::Place, change.place.clone());
        fields.insert(Field::Cause, change.cause.clone());
        fields.insert(Field::Expected, local(change.expected));
        fields.insert(Field::Time, local(change.at));
        Notice {
            key: format!("interruption-event:{}", change.event),
            user: user.to_owned(),
            purpose: Purpose::Interruption,
            text: change.text.clone(),
            fields,
        }
    }
}

/// A change of an interruption, as its notice tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct InterruptionChange {
    pub event: i64,
    /// Heat is back (`expected` is then when).
    pub restored: bool,
    pub place: String,
    pub cause: String,
    pub expected: DateTime<Utc>,
    pub at: DateTime<Utc>,
    /// The customer-service message, in the default locale.
    pub text: String,
}

/// One request-progress notice per resident, all saying the same.
fn progress_for_each(
    users: &[String],
    key: &str,
    text: &str,
    fields: &BTreeMap<Field, String>,
) -> Vec<Notice> {
    users
        .iter()
        .map(|user| Notice {
            key: key.to_owned(),
            user: user.clone(),
            purpose: Purpose::RequestProgress,
            text: text.to_owned(),
            fields: fields.clone(),
        })
        .collect()
}
