//! `/desk/reports`: the service figures as server-rendered SVG charts, each with its table
//! and a CSV download, over a period of local days and a district (every figure but the
//! messages', whose log names no resident). For curators, admins and the read-only
//! managers. No script draws anything: the numbers are in the SVG's labels and the tables.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::page::{intent_title, layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::reports::{Figures, Period, ReportError};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/reports", get(reports_page))
        .route("/desk/reports/{file}", get(csv))
}

const READ: [Role; 2] = [Role::Curator, Role::Manager];
/// Days shown when the form names none.
const DEFAULT_DAYS: i64 = 14;
/// The charts, in the page's order; each is also `/desk/reports/<name>.csv`.
const CHARTS: [&str; 11] = [
    "volume",
    "hours",
    "intents",
    "rising",
    "understanding",
    "self-service",
    "handoffs",
    "wait",
    "agents",
    "complaints",
    "stations",
];

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    district: Option<String>,
}

impl PeriodQuery {
    fn period(&self, state: &DeskState) -> Result<Period, DeskError> {
        let now = state.complaints.clock.now();
        let default = Period::last_days(now, DEFAULT_DAYS);
        let date = |s: &Option<String>, or: NaiveDate| match s.as_deref().map(str::trim) {
            None | Some("") => Ok(or),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| DeskError::BadRequest(format!("date `{s}`"))),
        };
        Period::new(
            date(&self.from, default.from)?,
            date(&self.to, default.to)?,
            self.district.clone(),
        )
        .map_err(|e| DeskError::BadRequest(e.to_string()))
    }

    fn query_string(&self, p: &Period) -> String {
        let mut q = format!("from={}&to={}", p.from, p.to);
        if let Some(d) = &p.district {
            q.push_str("&district=");
            q.push_str(&super::auth::urlencode(d));
        }
        q
    }
}

fn failed(e: ReportError) -> DeskError {
    match e {
        ReportError::Invalid(why) => DeskError::BadRequest(why),
        e => DeskError::internal(e),
    }
}

async fn figures(state: &DeskState, period: &Period) -> Result<Figures, DeskError> {
    state
        .reports
        .figures(period, state.complaints.clock.now())
        .await
        .map_err(failed)
}

/// A chart's table: its header and rows, as the page and the CSV show them.
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64)
}

fn table(tr: &Tr<'_>, name: &str, f: &Figures, p: &Period) -> Table {
    let h = |ids: &[&str]| {
        ids.iter()
            .map(|id| tr.t(&format!("desk-report-col-{id}")))
            .collect()
    };
    let n = |v: i64| v.to_string();
    match name {
        "volume" => {
            let channels = channels(f);
            let mut head: Vec<String> = h(&["day"]);
            head.extend(channels.iter().map(|c| channel_label(tr, c)));
            let rows = p
                .days()
                .into_iter()
                .map(|d| {
                    let mut row = vec![d.to_string()];
                    row.extend(channels.iter().map(|c| n(volume_of(f, d, c))));
                    row
                })
                .collect();
            Table { head, rows }
        }
        "hours" => Table {
            head: h(&["hour", "messages"]),
            rows: (0..24)
                .map(|hour| vec![format!("{hour:02}"), n(hour_count(f, hour))])
                .collect(),
        },
        "intents" => Table {
            head: h(&["intent", "count"]),
            rows: f
                .top_intents
                .iter()
                .map(|(i, c)| vec![intent_label(tr, i), n(*c)])
                .collect(),
        },
        "rising" => Table {
            head: h(&["intent", "this-week", "last-week"]),
            rows: f
                .rising
                .iter()
                .map(|(i, now, before)| vec![intent_label(tr, i), n(*now), n(*before)])
                .collect(),
        },
        "understanding" => Table {
            head: h(&[
                "day",
                "messages",
                "unanswered",
                "unanswered-rate",
                "clarified",
                "clarified-rate",
            ]),
            rows: f
                .understanding
                .iter()
                .map(|u| {
                    vec![
                        u.day.to_string(),
                        n(u.total),
                        n(u.unanswered),
                        percent(u.unanswered, u.total),
                        n(u.clarified),
                        percent(u.clarified, u.total),
                    ]
                })
                .collect(),
        },
        "self-service" => {
            let s = f.self_service;
            Table {
                head: h(&["residents", "by-bot", "handed-over", "share"]),
                rows: vec![vec![
                    n(s.residents),
                    n(s.residents - s.handed_over.min(s.residents)),
                    n(s.handed_over),
                    s.share()
                        .map_or_else(|| "-".to_owned(), |x| format!("{x:.1}%")),
                ]],
            }
        }
        "handoffs" => Table {
            head: h(&["reason", "count"]),
            rows: f
                .handoff_reasons
                .iter()
                .map(|(r, c)| vec![reason_label(tr, r), n(*c)])
                .collect(),
        },
        "wait" => {
            let w = f.wait;
            let secs = |s: Option<i64>| s.map_or_else(|| "-".to_owned(), |s| s.to_string());
            Table {
                head: h(&["claimed", "p50", "p90"]),
                rows: vec![vec![n(w.claimed), secs(w.p50), secs(w.p90)]],
            }
        }
        "stations" => Table {
            head: h(&[
                "district",
                "kind",
                "standard",
                "requests",
                "closed-in-time",
                "closed-late",
                "overdue",
            ]),
            rows: f
                .stations
                .iter()
                .map(|s| {
                    vec![
                        s.district.clone(),
                        kind_label(tr, s.kind),
                        n(s.standard_hours),
                        n(s.requests),
                        n(s.done_in_time),
                        n(s.done_late),
                        n(s.overdue),
                    ]
                })
                .collect(),
        },
        "agents" => Table {
            head: h(&["agent", "closed", "rated", "average"]),
            rows: f
                .agents
                .iter()
                .map(|a| {
                    vec![
                        a.agent.clone(),
                        n(a.closed),
                        n(a.rated),
                        a.average()
                            .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}")),
                    ]
                })
                .collect(),
        },
        _ => {
            let c = f.complaints;
            Table {
                head: h(&[
                    "opened",
                    "closed-in-time",
                    "closed-late",
                    "open",
                    "overdue",
                    "followed-up",
                    "satisfaction",
                ]),
                rows: vec![vec![
                    n(c.opened),
                    n(c.closed_in_time),
                    n(c.closed_late),
                    n(c.open),
                    n(c.overdue),
                    n(c.followed_up),
                    if c.followed_up > 0 {
                        format!("{:.2}", c.satisfaction_sum as f64 / c.followed_up as f64)
                    } else {
                        "-".to_owned()
                    },
                ]],
            }
        }
    }
}

fn kind_label(tr: &Tr<'_>, kind: crate::service::RequestKind) -> String {
    tr.t(&format!(
        "request-kind-{}",
        crate::domain::fluent_part(&kind)
    ))
}

fn hour_count(f: &Figures, hour: u32) -> i64 {
    f.by_hour
        .iter()
        .find(|(h, _)| *h == hour)
        .map_or(0, |(_, n)| *n)
}

fn channels(f: &Figures) -> Vec<String> {
    let mut c: Vec<String> = f.volume.iter().map(|v| v.key.clone()).collect();
    c.sort();
    c.dedup();
    c
}

fn volume_of(f: &Figures, day: NaiveDate, channel: &str) -> i64 {
    f.volume
        .iter()
        .find(|v| v.day == day && v.key == channel)
        .map_or(0, |v| v.n)
}

fn channel_label(tr: &Tr<'_>, c: &str) -> String {
    let id = format!("desk-report-channel-{c}");
    let t = tr.t(&id);
    if t == id {
        c.to_owned()
    } else {
        t
    }
}

fn reason_label(tr: &Tr<'_>, r: &str) -> String {
    tr.t(&format!("desk-reason-{}", r.replace('_', "-")))
}

fn intent_label(tr: &Tr<'_>, i: &str) -> String {
    crate::domain::IntentId::parse(i)
        .map(|id| intent_title(tr.state, tr.locale, &id))
        .unwrap_or_else(|_| i.to_owned())
}

/// A chart: categories along the bottom, one bar per series in each, the value written on
/// every bar (so the numbers are there to read, and to test).
struct Chart {
    categories: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
    /// How a value is written on its bar.
    unit: &'static str,
}

fn chart(name: &str, title: &str, c: &Chart) -> Markup {
    const H: f64 = 180.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 40.0;
    let per = c.series.len().max(1) as f64;
    let group = (24.0 * per + 16.0).max(56.0);
    let width = (group * c.categories.len().max(1) as f64 + 16.0).max(240.0);
    let max = c
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let bar_w = (group - 16.0) / per;
    let shown = |v: f64| match c.unit {
        "%" => format!("{v:.1}%"),
        _ if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    };
    html! {
        // Drawn at its natural size; CSS narrows it to a phone's width (never wider).
        svg.chart role="img" aria-label=(title) data-chart=(name) viewBox={ "0 0 " (width) " " (H + TOP + BOTTOM) }
            width=(width) height=(H + TOP + BOTTOM) preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1="8" x2=(width - 8.0) y1=(TOP + H) y2=(TOP + H) stroke="#9aa4b2" {}
            @for (ci, cat) in c.categories.iter().enumerate() {
                @let x0 = 8.0 + group * ci as f64 + 8.0;
                @for (si, (series, values)) in c.series.iter().enumerate() {
                    @let v = values.get(ci).copied().unwrap_or(0.0);
                    @let h = H * v / max;
                    @let x = x0 + bar_w * si as f64;
                    rect class={ "bar s" (si) } x=(format!("{x:.1}")) y=(format!("{:.1}", TOP + H - h)) width=(format!("{:.1}", bar_w - 2.0)) height=(format!("{h:.1}")) {
                        title { (cat) " · " (series) ": " (shown(v)) }
                    }
                    text.value x=(format!("{:.1}", x + (bar_w - 2.0) / 2.0)) y=(format!("{:.1}", TOP + H - h - 3.0)) text-anchor="middle"
                        data-category=(cat) data-series=(series) { (shown(v)) }
                }
                text.category x=(format!("{:.1}", x0 + (group - 16.0) / 2.0)) y=(TOP + H + 14.0) text-anchor="middle" { (cat) }
            }
            @if c.series.len() > 1 {
                @for (si, (series, _)) in c.series.iter().enumerate() {
                    rect class={ "bar s" (si) } x=(8.0 + 90.0 * si as f64) y=(TOP + H + 24.0) width="10" height="10" {}
                    text.legend x=(22.0 + 90.0 * si as f64) y=(TOP + H + 33.0) { (series) }
                }
            }
        }
    }
}

fn chart_of(tr: &Tr<'_>, name: &str, f: &Figures, p: &Period) -> Chart {
    let days: Vec<String> = p
        .days()
        .iter()
        .map(|d| d.format("%m-%d").to_string())
        .collect();
    let one = |pairs: Vec<(String, f64)>, series: &str| Chart {
        categories: pairs.iter().map(|(k, _)| k.clone()).collect(),
        series: vec![(tr.t(series), pairs.iter().map(|(_, v)| *v).collect())],
        unit: "",
    };
    match name {
        "volume" => Chart {
            categories: days,
            series: channels(f)
                .iter()
                .map(|c| {
                    let v = p
                        .days()
                        .iter()
                        .map(|d| volume_of(f, *d, c) as f64)
                        .collect();
                    (channel_label(tr, c), v)
                })
                .collect(),
            unit: "",
        },
        "hours" => one(
            (0..24)
                .map(|hour| (format!("{hour:02}"), hour_count(f, hour) as f64))
                .collect(),
            "desk-report-col-messages",
        ),
        "intents" => one(
            f.top_intents
                .iter()
                .map(|(i, n)| (intent_label(tr, i), *n as f64))
                .collect(),
            "desk-report-col-count",
        ),
        "rising" => Chart {
            categories: f
                .rising
                .iter()
                .map(|(i, _, _)| intent_label(tr, i))
                .collect(),
            series: vec![
                (
                    tr.t("desk-report-col-last-week"),
                    f.rising.iter().map(|(_, _, b)| *b as f64).collect(),
                ),
                (
                    tr.t("desk-report-col-this-week"),
                    f.rising.iter().map(|(_, n, _)| *n as f64).collect(),
                ),
            ],
            unit: "",
        },
        "understanding" => {
            let rate = |day: NaiveDate, pick: &dyn Fn(&crate::reports::Understanding) -> i64| {
                f.understanding
                    .iter()
                    .find(|u| u.day == day && u.total > 0)
                    .map_or(0.0, |u| 100.0 * pick(u) as f64 / u.total as f64)
            };
            Chart {
                categories: days,
                series: vec![
                    (
                        tr.t("desk-report-col-unanswered-rate"),
                        p.days()
                            .iter()
                            .map(|d| rate(*d, &|u| u.unanswered))
                            .collect(),
                    ),
                    (
                        tr.t("desk-report-col-clarified-rate"),
                        p.days()
                            .iter()
                            .map(|d| rate(*d, &|u| u.clarified))
                            .collect(),
                    ),
                ],
                unit: "%",
            }
        }
        "self-service" => {
            let s = f.self_service;
            one(
                vec![
                    (
                        tr.t("desk-report-col-by-bot"),
                        (s.residents - s.handed_over.min(s.residents)) as f64,
                    ),
                    (tr.t("desk-report-col-handed-over"), s.handed_over as f64),
                ],
                "desk-report-col-residents",
            )
        }
        "handoffs" => one(
            f.handoff_reasons
                .iter()
                .map(|(r, n)| (reason_label(tr, r), *n as f64))
                .collect(),
            "desk-report-col-count",
        ),
        "wait" => one(
            vec![
                ("p50".to_owned(), f.wait.p50.unwrap_or(0) as f64),
                ("p90".to_owned(), f.wait.p90.unwrap_or(0) as f64),
            ],
            "desk-report-seconds",
        ),
        "stations" => {
            let pick = |g: &dyn Fn(&crate::reports::StationFigures) -> i64| {
                f.stations.iter().map(|s| g(s) as f64).collect::<Vec<_>>()
            };
            Chart {
                categories: f
                    .stations
                    .iter()
                    .map(|s| format!("{} {}", s.district, kind_label(tr, s.kind)))
                    .collect(),
                series: vec![
                    (
                        tr.t("desk-report-col-closed-in-time"),
                        pick(&|s| s.done_in_time),
                    ),
                    (tr.t("desk-report-col-closed-late"), pick(&|s| s.done_late)),
                    (tr.t("desk-report-col-overdue"), pick(&|s| s.overdue)),
                ],
                unit: "",
            }
        }
        "agents" => one(
            f.agents
                .iter()
                .map(|a| (a.agent.clone(), a.average().unwrap_or(0.0)))
                .collect(),
            "desk-report-col-average",
        ),
        _ => {
            let c = f.complaints;
            one(
                vec![
                    (tr.t("desk-report-col-opened"), c.opened as f64),
                    (
                        tr.t("desk-report-col-closed-in-time"),
                        c.closed_in_time as f64,
                    ),
                    (tr.t("desk-report-col-closed-late"), c.closed_late as f64),
                    (tr.t("desk-report-col-open"), c.open as f64),
                    (tr.t("desk-report-col-overdue"), c.overdue as f64),
                ],
                "desk-report-col-count",
            )
        }
    }
}

async fn reports_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<PeriodQuery>,
) -> Result<Markup, DeskError> {
    desk.require_any(&READ)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let period = q.period(&state)?;
    let f = figures(&state, &period).await?;
    let qs = q.query_string(&period);
    let body = html! {
        form.period method="get" action="/desk/reports" {
            label { (tr.t("desk-report-from")) " " input #from type="date" name="from" value=(period.from); }
            label { (tr.t("desk-report-to")) " " input #to type="date" name="to" value=(period.to); }
            label { (tr.t("desk-report-district")) " " input #district name="district" value=(period.district.clone().unwrap_or_default()); }
            button #show type="submit" { (tr.t("desk-report-show")) }
        }
        @for name in CHARTS {
            @let title = tr.t(&format!("desk-report-{name}"));
            @let t = table(&tr, name, &f, &period);
            section.report #{ "report-" (name) } data-report=(name) {
                h2 { (title) }
                (chart(name, &title, &chart_of(&tr, name, &f, &period)))
                div.table-wrap {
                    table.figures {
                        thead { tr { @for h in &t.head { th { (h) } } } }
                        tbody { @for row in &t.rows { tr { @for cell in row { td { (cell) } } } } }
                    }
                }
                a.csv href={ "/desk/reports/" (name) ".csv?" (qs) } download={ (name) ".csv" } { (tr.t("desk-report-csv")) }
                @if name == "stations" && !f.overdue_requests.is_empty() {
                    h3 { (tr.t("desk-report-overdue-requests")) }
                    ul.overdue-requests {
                        @for r in &f.overdue_requests {
                            li.overdue data-id=(r.id) {
                                (r.id) " · " (r.district) " · " (kind_label(&tr, r.kind)) " · " (crate::handoff::local(r.created_at))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(
        &state,
        &desk,
        "/desk/reports",
        &tr.t("desk-reports-title"),
        body,
    ))
}

/// One chart's table as CSV (RFC 4180 quoting; a byte-order mark so spreadsheet programs
/// read the Chinese labels as UTF-8).
async fn csv(
    desk: Desk,
    State(state): State<DeskState>,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, DeskError> {
    desk.require_any(&READ)?;
    let name = file
        .strip_suffix(".csv")
        .filter(|n| CHARTS.contains(n))
        .ok_or(DeskError::NotFound)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let period = q.period(&state)?;
    let f = figures(&state, &period).await?;
    let t = table(&tr, name, &f, &period);
    let mut out = String::from("\u{feff}");
    for row in std::iter::once(&t.head).chain(t.rows.iter()) {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    let disposition = format!(
        "attachment; filename=\"{name}-{}-{}.csv\"",
        period.from, period.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        out,
    )
        .into_response())
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
