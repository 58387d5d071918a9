//! The handbook for every counter and hotline: the published phrasebook grouped by
//! business, with the counter and hotline scripts, its version and date on every printed
//! page; and the same as a spreadsheet (CSV).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use super::curator;
use crate::desk::auth::{Desk, DeskError};
use crate::desk::page::{head, Tr};
use crate::desk::DeskState;
use crate::handoff::local;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/office/handbook", get(handbook))
        .route("/desk/office/handbook.csv", get(spreadsheet))
}

async fn handbook(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let live = state.office.live();
    let engine = state.engine.current();
    let catalog = engine.catalog();
    let stamp = tr.ta(
        "desk-office-handbook-stamp",
        &[
            ("version", live.meta.number.to_string()),
            ("date", local(live.meta.published_at)),
        ],
    );
    let title = tr.t("desk-office-handbook-title");
    Ok(html! {
        (DOCTYPE)
        html lang=(desk.locale) {
            (head(&tr, &title, Some(&desk.csrf)))
            body.handbook {
                // Fixed in print: Chromium repeats it on every page.
                div.print-stamp #stamp { (stamp) }
                header.handbook-head {
                    h1 { (title) }
                    p.stamp { (stamp) }
                    p.no-print {
                        a href="/desk/office" { (tr.t("desk-back")) } " · "
                        a href="/desk/office/handbook.csv" download { (tr.t("desk-office-handbook-csv")) } " · "
                        button type="button" onclick="window.print()" { (tr.t("desk-office-print")) }
                    }
                    nav.toc {
                        ol { @for i in catalog.intents.iter().filter(|i| !i.retired) {
                            li { a href={ "#" (i.id) } { (i.title(&desk.locale)) } }
                        } }
                    }
                }
                @for i in catalog.intents.iter().filter(|i| !i.retired) {
                    section.business id=(i.id) {
                        h2 { (i.title(&desk.locale)) }
                        @for e in catalog.published().filter(|e| e.intent == i.id) {
                            @let r = catalog.rendered_reply(e);
                            article.entry data-entry=(e.id) {
                                h3 { (e.question) }
                                h4 { (tr.t("desk-office-reply-counter")) }
                                p.pre.counter { (r.counter) }
                                h4 { (tr.t("desk-office-reply-hotline")) }
                                ol.script {
                                    li { (r.hotline.greeting) }
                                    li { (r.hotline.answer) }
                                    li { (r.hotline.closing) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// A cell as a spreadsheet reads it: quoted, quotes doubled, and a leading `=+-@` made
/// text so no formula runs.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn spreadsheet(
    desk: Desk,
    State(state): State<DeskState>,
) -> Result<impl IntoResponse, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let live = state.office.live();
    let engine = state.engine.current();
    let catalog = engine.catalog();
    // A BOM, so spreadsheet programs read the Chinese as UTF-8.
    let mut out = String::from("\u{feff}");
    let header = [
        "desk-office-intent",
        "desk-office-entry-id",
        "desk-office-question",
        "desk-office-reply-wechat",
        "desk-office-reply-counter",
        "desk-office-reply-greeting",
        "desk-office-reply-answer",
        "desk-office-reply-closing",
    ];
    out.push_str(&header.map(|h| cell(&tr.t(h))).join(","));
    out.push_str("\r\n");
    for e in catalog.published() {
        let r = catalog.rendered_reply(e);
        let title = catalog
            .intent(&e.intent)
            .map_or(e.intent.as_str(), |i| i.title(&desk.locale));
        let row = [
            title,
            e.id.as_str(),
            &e.question,
            &r.wechat,
            &r.counter,
            &r.hotline.greeting,
            &r.hotline.answer,
            &r.hotline.closing,
        ];
        out.push_str(&row.map(cell).join(","));
        out.push_str("\r\n");
    }
    let name = format!(
        "attachment; filename=\"phrasebook-v{}.csv\"",
        live.meta.number
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    ))
}
