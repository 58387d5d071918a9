//! The markup of the interruptions page and of the banner above suggested replies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::{area, changes, mine, OpenForm};
use crate::desk::auth::Desk;
use crate::desk::page::{csrf, layout, Tr};
use crate::desk::DeskState;
use crate::domain::Channel;
use crate::incident::triage::{Outcome, TriageFigures};
use crate::incident::{describe, local_time, Interruption, Kind};

fn kind_label(tr: &Tr<'_>, k: Kind) -> String {
    tr.t(&format!(
        "interruption-kind-{}",
        k.as_str().replace('_', "-")
    ))
}

fn cards(tr: &Tr<'_>, desk: &Desk, list: &[Interruption]) -> Markup {
    let now = chrono::Utc::now();
    // As residents read it: the bot's WeChat reply.
    let meanwhile = tr.state.meanwhile.text(Channel::Wechat);
    html! {
        @if list.is_empty() { p.empty { (tr.t("desk-interruptions-none")) } }
        ul.cards {
            @for i in list {
                li.card.interruption data-id=(i.id) data-kind=(i.kind.as_str()) data-current=(i.is_current(now)) {
                    div.head {
                        strong.scope { (i.scope.label()) }
                        " "
                        span.district { (i.scope.district) }
                    }
                    p.told { (describe(&tr.state.locales, tr.locale, i, meanwhile.as_deref())) }
                    div.meta { (tr.ta("desk-interruptions-by", &[
                        ("opened", i.opened_by.clone()),
                        ("updated", i.updated_by.clone()),
                        ("at", local_time(i.updated_at)),
                    ])) }
                    @if changes(desk) { (change_forms(tr, desk, i)) }
                }
            }
        }
    }
}

/// The forms of one interruption: a new expected restoration, and "heat is back".
fn change_forms(tr: &Tr<'_>, desk: &Desk, i: &Interruption) -> Markup {
    html! {
        form.eta method="post" action={ "/desk/interruptions/" (i.id) "/eta" } {
            (csrf(desk))
            label { (tr.t("desk-interruptions-new-eta")) " "
                input type="datetime-local" name="eta" required;
            }
            button type="submit" { (tr.t("desk-interruptions-update")) }
        }
        form.restore method="post" action={ "/desk/interruptions/" (i.id) "/restore" } {
            (csrf(desk))
            button.restore type="submit" { (tr.t("desk-interruptions-restore")) }
        }
    }
}

fn open_form(tr: &Tr<'_>, desk: &Desk, form: &OpenForm) -> Markup {
    html! {
        section #open-interruption {
            h2 { (tr.t("desk-interruptions-open")) }
            form.open method="post" action="/desk/interruptions" {
                (csrf(desk))
                label { (tr.t("desk-interruptions-kind"))
                    select #open-kind name="kind" {
                        @for k in Kind::ALL {
                            option value=(k.as_str()) selected[form.kind == k.as_str()] { (kind_label(tr, k)) }
                        }
                    }
                }
                @if area(desk).is_none() {
                    label { (tr.t("desk-interruptions-district"))
                        input #open-district name="district" value=(form.district);
                    }
                }
                label { (tr.t("desk-interruptions-estates"))
                    input #open-estates name="estates" value=(form.estates);
                }
                label { (tr.t("desk-interruptions-buildings"))
                    input #open-buildings name="buildings" value=(form.buildings);
                }
                label { (tr.t("desk-interruptions-cause"))
                    textarea #open-cause name="cause" required rows="3" { (form.cause) }
                }
                label { (tr.t("desk-interruptions-start"))
                    input #open-start type="datetime-local" name="start" value=(form.start);
                }
                label { (tr.t("desk-interruptions-eta"))
                    input #open-eta type="datetime-local" name="eta" required value=(form.eta);
                }
                button #open-submit type="submit" { (tr.t("desk-interruptions-submit")) }
            }
        }
    }
}

/// The page; `alert` says why the last change was refused, `form` keeps what was typed,
/// `figures` is what triage saved (shown to everyone who may read the page).
pub(super) fn render(
    state: &DeskState,
    desk: &Desk,
    status: StatusCode,
    alert: Option<&str>,
    form: &OpenForm,
    figures: Markup,
) -> Response {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let list: Vec<Interruption> = state
        .incidents
        .unrestored()
        .into_iter()
        .filter(|i| mine(desk, i))
        .collect();
    let scope = area(desk).map_or_else(|| tr.t("desk-orders-all-districts"), str::to_owned);
    let body = html! {
        @if let Some(a) = alert { p.error.alert role="alert" { (a) } }
        p.summary { (tr.ta("desk-interruptions-summary", &[("count", list.len().to_string()), ("district", scope)])) }
        section #interruptions { (cards(&tr, desk, &list)) }
        @if changes(desk) { (open_form(&tr, desk, form)) }
        (figures)
    };
    let page = layout(
        state,
        desk,
        "/desk/interruptions",
        &tr.t("desk-interruptions-title"),
        body,
    );
    (status, page).into_response()
}

/// How the "not warm" cases of the period ended, and the visits triage avoided.
pub(super) fn triage(state: &DeskState, desk: &Desk, f: &TriageFigures, days: i64) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    html! {
        section #triage data-avoided=(f.avoided()) data-total=(f.total()) {
            h2 { (tr.ta("desk-triage-title", &[("days", days.to_string())])) }
            p.avoided { strong { (tr.ta("desk-triage-avoided", &[
                ("avoided", f.avoided().to_string()),
                ("total", f.total().to_string()),
            ])) } }
            table.figures {
                thead { tr { th { (tr.t("desk-triage-outcome")) } th { (tr.t("desk-triage-count")) } } }
                tbody {
                    @for o in Outcome::ALL {
                        tr data-outcome=(o.as_str()) {
                            td { (tr.t(&format!("desk-triage-{}", o.as_str().replace('_', "-")))) }
                            td.count { (f.count(o)) }
                        }
                    }
                }
            }
        }
    }
}

/// The interruptions in effect for these accounts' addresses: shown above suggested replies
/// on the queue's conversation (as the resident read them: the WeChat reply) and the hotline
/// (the advice as the hotline's answer, for the agent to read out).
pub fn banner(
    state: &DeskState,
    locale: &str,
    accounts: &[&crate::service::Account],
    channel: Channel,
) -> Markup {
    let now = chrono::Utc::now();
    let mut found: Vec<Interruption> = accounts
        .iter()
        .flat_map(|a| {
            state
                .incidents
                .current_for(&a.district, &a.estate, &a.address, now)
        })
        .collect();
    found.sort_by_key(|i| i.id);
    found.dedup_by_key(|i| i.id);
    if found.is_empty() {
        return html! {};
    }
    let title = state.locales.text(locale, "desk-interruptions-banner", &[]);
    let meanwhile = state.meanwhile.text(channel);
    html! {
        aside.interruptions #interruptions-banner role="note" {
            strong { (title) }
            @for i in &found {
                p.interruption data-id=(i.id) { (describe(&state.locales, locale, i, meanwhile.as_deref())) }
            }
        }
    }
}
