//! The editor of one entry: canonical question, paraphrases, the replies per channel, each
//! field's findings, a live preview with the facts filled in, and a try-it box that asks
//! the curator's draft which entry would answer.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::entries::title;
use super::{curator, fail, frame};
use crate::catalog::{
    self, EntryStatus, EntryText, FieldFinding, HotlineScript, OfficeDoc, Replies, Severity,
    Subject, WECHAT_MAX_CHARS,
};
use crate::desk::auth::{urlencode, Desk, DeskError};
use crate::desk::page::{csrf, intent_title, Tr};
use crate::desk::DeskState;
use crate::domain::{EntryId, IntentId};
use crate::office::{Current, OfficeError, Origin};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/office/entries/new", get(new_entry))
        .route(
            "/desk/office/entries/{id}",
            get(edit_entry).post(save_entry),
        )
        .route("/desk/office/entries/{id}/move", post(move_paraphrase))
        .route("/desk/office/preview", post(preview))
        .route("/desk/office/try", get(try_it))
}

/// What the editor's form sends.
#[derive(Deserialize, Default, Clone)]
struct EntryForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    paraphrases: String,
    #[serde(default)]
    wechat: String,
    #[serde(default)]
    counter: String,
    #[serde(default)]
    greeting: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    closing: String,
    #[serde(default)]
    base: String,
    /// Set when the entry does not exist yet.
    #[serde(default)]
    new: bool,
    /// The inbox question this new entry answers (labelled when it is saved).
    #[serde(default)]
    label: String,
}

impl EntryForm {
    fn of(e: &EntryText) -> Self {
        Self {
            id: e.id.to_string(),
            intent: e.intent.to_string(),
            status: status_name(e.status).to_owned(),
            question: e.question.clone(),
            paraphrases: e.paraphrases.join("\n"),
            wechat: e.reply.wechat.clone(),
            counter: e.reply.counter.clone(),
            greeting: e.reply.hotline.greeting.clone(),
            answer: e.reply.hotline.answer.clone(),
            closing: e.reply.hotline.closing.clone(),
            ..Self::default()
        }
    }

    /// The entry as typed; `None` when the id or intent is not one.
    fn entry(&self, version: u32) -> Option<EntryText> {
        Some(EntryText {
            id: EntryId::parse(self.id.trim()).ok()?,
            intent: IntentId::parse(self.intent.trim()).ok()?,
            status: match self.status.as_str() {
                "draft" => EntryStatus::Draft,
                "retired" => EntryStatus::Retired,
                _ => EntryStatus::Published,
            },
            version,
            question: self.question.trim().to_owned(),
            paraphrases: self
                .paraphrases
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            reply: Replies {
                wechat: self.wechat.replace("\r\n", "\n").trim().to_owned(),
                counter: self.counter.replace("\r\n", "\n").trim().to_owned(),
                hotline: HotlineScript {
                    greeting: self.greeting.trim().to_owned(),
                    answer: self.answer.replace("\r\n", "\n").trim().to_owned(),
                    closing: self.closing.trim().to_owned(),
                },
            },
        })
    }
}

fn status_name(s: EntryStatus) -> &'static str {
    match s {
        EntryStatus::Draft => "draft",
        EntryStatus::Review => "review",
        EntryStatus::Published => "published",
        EntryStatus::Retired => "retired",
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    intent: String,
    #[serde(default)]
    question: String,
}

async fn new_entry(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<NewQuery>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let doc = state
        .office
        .draft_doc(&desk.user.name)
        .await
        .map_err(fail)?;
    let intent = if doc.intents.iter().any(|i| i.id.as_str() == q.intent) {
        q.intent.clone()
    } else {
        doc.intents
            .first()
            .map(|i| i.id.to_string())
            .unwrap_or_default()
    };
    // The first free `intent.qN`.
    let id = (1..)
        .map(|n| format!("{intent}.q{n}"))
        .find(|id| !doc.entries.iter().any(|e| e.id.as_str() == id))
        .unwrap_or_default();
    let form = EntryForm {
        id,
        intent,
        status: "published".into(),
        question: q.question.clone(),
        new: true,
        label: q.question,
        ..EntryForm::default()
    };
    Ok(editor(&state, &desk, &doc, &form, None, &[], None))
}

async fn edit_entry(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let office = &state.office;
    let current = office
        .current(&Subject::Entry(id.clone()), &desk.user.name)
        .await
        .map_err(fail)?;
    let Some(value) = current.value.clone() else {
        return Err(DeskError::NotFound);
    };
    let entry: EntryText = serde_json::from_value(value).map_err(DeskError::internal)?;
    let doc = office.draft_doc(&desk.user.name).await.map_err(fail)?;
    let mut form = EntryForm::of(&entry);
    form.base = current.digest.clone();
    let findings = doc.entry_findings(&entry, &owned(&state));
    let notice = saved.saved.then_some("saved");
    Ok(editor(
        &state,
        &desk,
        &doc,
        &form,
        Some(&current),
        &findings,
        notice,
    ))
}

#[derive(Deserialize, Default)]
struct Saved {
    #[serde(default)]
    saved: bool,
}

fn owned(state: &DeskState) -> BTreeMap<String, String> {
    state.office.library.sources().owned_facts.clone()
}

async fn save_entry(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
    Form(form): Form<EntryForm>,
) -> Result<Response, DeskError> {
    curator(&desk)?;
    let office = &state.office;
    let doc = office.draft_doc(&desk.user.name).await.map_err(fail)?;
    let version = doc
        .entries
        .iter()
        .find(|e| e.id.as_str() == id)
        .map_or(1, |e| e.version);
    let Some(entry) = form.entry(version) else {
        let finding = FieldFinding {
            field: "id",
            severity: Severity::Error,
            message: "bad id".into(),
            code: "bad-id",
            args: Vec::new(),
        };
        let page = editor(&state, &desk, &doc, &form, None, &[finding], None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    if form.new && doc.entries.iter().any(|e| e.id == entry.id) {
        let finding = FieldFinding {
            field: "id",
            severity: Severity::Error,
            message: "id taken".into(),
            code: "id-taken",
            args: vec![("id", entry.id.to_string())],
        };
        let page = editor(&state, &desk, &doc, &form, None, &[finding], None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if !form.new && entry.id.as_str() != id {
        return Err(DeskError::BadRequest(
            "the id of an entry does not change".into(),
        ));
    }
    let value = serde_json::to_value(&entry).map_err(DeskError::internal)?;
    let subject = Subject::Entry(entry.id.to_string());
    match office
        .save(&desk.user.name, subject, Some(value), &form.base)
        .await
    {
        Ok(_) => {}
        Err(OfficeError::Conflict(c)) => {
            // Nothing saved: the curator sees what is there now beside what they typed.
            let theirs: Option<EntryText> = c
                .current
                .value
                .clone()
                .and_then(|v| serde_json::from_value(v).ok());
            let mut again = form.clone();
            again.base = c.current.digest.clone();
            let page = conflict_page(&state, &desk, &doc, &again, &c.current, theirs.as_ref());
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(e) => return Err(fail(e)),
    }
    if form.new && !form.label.trim().is_empty() {
        office
            .label(
                &form.label,
                entry.intent.as_str(),
                "new_entry",
                &desk.user.name,
            )
            .await
            .map_err(fail)?;
    }
    Ok(Redirect::to(&format!(
        "/desk/office/entries/{}?saved=true",
        urlencode(entry.id.as_str())
    ))
    .into_response())
}

fn conflict_page(
    state: &DeskState,
    desk: &Desk,
    doc: &OfficeDoc,
    form: &EntryForm,
    current: &Current,
    theirs: Option<&EntryText>,
) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let who = match &current.origin {
        Origin::Theirs { author, .. } => author.clone(),
        Origin::Mine(_) => desk.user.name.clone(),
        Origin::Live => tr.t("desk-office-published-version"),
    };
    let banner = html! {
        section.conflict role="alert" {
            h2 { (tr.ta("desk-office-conflict", &[("who", who)])) }
            p { (tr.t("desk-office-conflict-help")) }
            div.side-by-side {
                div.theirs {
                    h3 { (tr.t("desk-office-conflict-theirs")) }
                    @if let Some(t) = theirs { (entry_summary(&tr, t)) } @else { p { (tr.t("desk-office-conflict-gone")) } }
                }
                div.yours {
                    h3 { (tr.t("desk-office-conflict-yours")) }
                    @if let Some(y) = form.entry(0) { (entry_summary(&tr, &y)) }
                }
            }
        }
    };
    let page = editor(state, desk, doc, form, Some(current), &[], None);
    html! { (banner) (page) }
}

fn entry_summary(tr: &Tr<'_>, e: &EntryText) -> Markup {
    html! {
        dl {
            dt { (tr.t("desk-office-question")) } dd { (e.question) }
            dt { (tr.t("desk-office-paraphrases")) } dd { ul { @for p in &e.paraphrases { li { (p) } } } }
            dt { (tr.t("desk-office-reply-wechat")) } dd.pre { (e.reply.wechat) }
            dt { (tr.t("desk-office-reply-counter")) } dd.pre { (e.reply.counter) }
            dt { (tr.t("desk-office-reply-hotline")) } dd.pre { (e.reply.hotline.greeting) "\n" (e.reply.hotline.answer) "\n" (e.reply.hotline.closing) }
        }
    }
}

/// A finding in the reader's language.
fn said(tr: &Tr<'_>, f: &FieldFinding) -> String {
    let args: Vec<(&str, String)> = f.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    tr.ta(&format!("desk-office-check-{}", f.code), &args)
}

fn field_findings(tr: &Tr<'_>, findings: &[FieldFinding], field: &str) -> Markup {
    html! {
        @for f in findings.iter().filter(|f| f.field == field) {
            p class={ "finding " @if f.severity == Severity::Error { "error" } @else { "warning" } } data-field=(field) role="alert" {
                (tr.t(if f.severity == Severity::Error { "desk-office-finding-error" } else { "desk-office-finding-warning" })) " " (said(tr, f))
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn editor(
    state: &DeskState,
    desk: &Desk,
    doc: &OfficeDoc,
    form: &EntryForm,
    current: Option<&Current>,
    findings: &[FieldFinding],
    notice: Option<&str>,
) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    // A new entry's id may still be edited; the form's field is what counts.
    let action = format!("/desk/office/entries/{}", urlencode(&form.id));
    let origin = current.map(|c| match &c.origin {
        Origin::Live => tr.t("desk-office-origin-live"),
        Origin::Mine(id) => tr.ta("desk-office-origin-mine", &[("change", id.to_string())]),
        Origin::Theirs { changeset, author } => tr.ta(
            "desk-office-origin-theirs",
            &[("change", changeset.to_string()), ("who", author.clone())],
        ),
    });
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let title_text = if form.new {
        tr.t("desk-office-new-entry")
    } else {
        form.question.clone()
    };
    let body = html! {
        @if notice.is_some() {
            p.notice role="status" {
                (tr.t("desk-office-saved")) " "
                a href="/desk/office/changes" { (tr.t("desk-office-to-changes")) }
            }
        }
        @if let Some(o) = origin { p.origin { (o) } }
        @if errors > 0 {
            p.finding.error role="alert" { (tr.ta("desk-office-has-errors", &[("count", errors.to_string())])) }
        }
        div.editor-layout {
            form #entry-form method="post" action=(action) data-live-form="#preview" data-src="/desk/office/preview" data-method="post" {
                (csrf(desk))
                input type="hidden" name="base" value=(form.base);
                @if form.new {
                    input type="hidden" name="new" value="true";
                    input type="hidden" name="label" value=(form.label);
                    label { (tr.t("desk-office-entry-id")) input #f-id type="text" name="id" value=(form.id) required pattern="[a-z0-9_.]+"; }
                } @else {
                    input type="hidden" name="id" value=(form.id);
                    p { (tr.t("desk-office-entry-id")) " " code { (form.id) } }
                }
                (field_findings(&tr, findings, "id"))
                label { (tr.t("desk-office-intent"))
                    select #f-intent name="intent" {
                        @for i in doc.intents.iter().filter(|i| !i.retired) {
                            option value=(i.id) selected[form.intent == i.id.as_str()] { (title(&i.title, &desk.locale, i.id.as_str())) " (" (i.id) ")" }
                        }
                    }
                }
                (field_findings(&tr, findings, "intent"))
                label { (tr.t("desk-office-status"))
                    select name="status" {
                        @for s in ["published", "draft", "retired"] {
                            option value=(s) selected[form.status == s] { (tr.t(&format!("desk-office-status-{s}"))) }
                        }
                    }
                }
                label { (tr.t("desk-office-question")) input #f-question type="text" name="question" value=(form.question) required; }
                (field_findings(&tr, findings, "question"))
                label { (tr.t("desk-office-paraphrases")) span.hint { (tr.t("desk-office-paraphrases-hint")) }
                    textarea #f-paraphrases name="paraphrases" rows="8" { (form.paraphrases) }
                }
                (field_findings(&tr, findings, "paraphrases"))
                fieldset {
                    legend { (tr.t("desk-office-replies")) }
                    label { (tr.t("desk-office-reply-wechat")) textarea #f-wechat name="wechat" rows="6" { (form.wechat) } }
                    (field_findings(&tr, findings, "wechat"))
                    label { (tr.t("desk-office-reply-counter")) textarea #f-counter name="counter" rows="4" { (form.counter) } }
                    (field_findings(&tr, findings, "counter"))
                    label { (tr.t("desk-office-reply-greeting")) input #f-greeting type="text" name="greeting" value=(form.greeting); }
                    (field_findings(&tr, findings, "hotline.greeting"))
                    label { (tr.t("desk-office-reply-answer")) textarea #f-answer name="answer" rows="5" { (form.answer) } }
                    (field_findings(&tr, findings, "hotline.answer"))
                    label { (tr.t("desk-office-reply-closing")) input #f-closing type="text" name="closing" value=(form.closing); }
                    (field_findings(&tr, findings, "hotline.closing"))
                }
                p.facts-hint { (tr.t("desk-office-facts-hint")) " " a href="/desk/office/facts" target="_blank" { (tr.t("desk-office-nav-facts")) } }
                button #save type="submit" { (tr.t("desk-office-save")) }
            }
            @if !form.new && !form.paraphrases.trim().is_empty() {
                form.move-paraphrase method="post" action={ "/desk/office/entries/" (urlencode(&form.id)) "/move" } {
                    (csrf(desk))
                    h3 { (tr.t("desk-office-move")) }
                    label { (tr.t("desk-office-move-which"))
                        select #move-text name="text" {
                            @for p in form.paraphrases.lines().filter(|l| !l.trim().is_empty()) { option value=(p.trim()) { (p.trim()) } }
                        }
                    }
                    label { (tr.t("desk-office-move-to"))
                        input #move-to type="text" name="to" list="move-entries" required;
                    }
                    datalist #move-entries {
                        @for e in doc.entries.iter().filter(|e| e.id.as_str() != form.id && e.status == EntryStatus::Published) {
                            option value=(e.id) { (e.question) }
                        }
                    }
                    button.secondary #move type="submit" { (tr.t("desk-office-move")) }
                }
            }
            aside.preview-column {
                h2 { (tr.t("desk-office-preview")) }
                div #preview { (preview_of(state, &tr, doc, form)) }
                h2 { (tr.t("desk-office-try")) }
                form #try-form data-live-form="#try-result" data-src="/desk/office/try" onsubmit="return false" {
                    label { (tr.t("desk-office-try-label")) input #try-text type="text" name="text" autocomplete="off"; }
                }
                div #try-result aria-live="polite" {}
            }
        }
    };
    frame(state, desk, "/desk/office/entries", &title_text, body)
}

/// The replies as residents and agents would read them, facts filled in.
fn preview_of(state: &DeskState, tr: &Tr<'_>, doc: &OfficeDoc, form: &EntryForm) -> Markup {
    let facts = doc.all_facts(&owned(state));
    let render = |t: &str| catalog::render(t.replace("\r\n", "\n").trim(), &facts);
    let wechat = render(&form.wechat);
    let length = wechat.chars().count();
    let unknown: Vec<String> = [
        &form.wechat,
        &form.counter,
        &form.greeting,
        &form.answer,
        &form.closing,
    ]
    .iter()
    .flat_map(|t| catalog::placeholders(t))
    .filter(|p| !facts.contains_key(*p))
    .map(|p| format!("{{{p}}}"))
    .collect();
    html! {
        @if !unknown.is_empty() {
            p.finding.error data-field="facts" { (tr.ta("desk-office-unknown-facts", &[("facts", unknown.join(" "))])) }
        }
        div.phone {
            div.bubble #preview-wechat { (wechat) }
            p class={ "length" @if length > WECHAT_MAX_CHARS { " over" } } #preview-length {
                (tr.ta("desk-office-length", &[("count", length.to_string()), ("max", WECHAT_MAX_CHARS.to_string())]))
            }
            @if length > WECHAT_MAX_CHARS {
                p.finding.warning role="alert" { (tr.ta("desk-office-too-long", &[("max", WECHAT_MAX_CHARS.to_string())])) }
            }
        }
        h3 { (tr.t("desk-office-reply-counter")) }
        p.pre #preview-counter { (render(&form.counter)) }
        h3 { (tr.t("desk-office-reply-hotline")) }
        ol.script #preview-hotline {
            li { (render(&form.greeting)) }
            li { (render(&form.answer)) }
            li { (render(&form.closing)) }
        }
    }
}

#[derive(Deserialize)]
struct MoveForm {
    text: String,
    to: String,
}

/// Moves one paraphrase to another entry: both edits go into the curator's change set.
async fn move_paraphrase(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Redirect, DeskError> {
    curator(&desk)?;
    let office = &state.office;
    let who = desk.user.name.as_str();
    let to = f.to.trim();
    let doc = office.draft_doc(who).await.map_err(fail)?;
    if to == id || doc.entries.iter().all(|e| e.id.as_str() != to) {
        return Err(DeskError::BadRequest(
            "move to another existing entry".into(),
        ));
    }
    office
        .update(who, Subject::Entry(id.clone()), |e: &mut EntryText| {
            let before = e.paraphrases.len();
            e.paraphrases.retain(|p| p.trim() != f.text.trim());
            if e.paraphrases.len() == before {
                return Err(OfficeError::Bad("no such paraphrase".into()));
            }
            Ok(())
        })
        .await
        .map_err(fail)?;
    office
        .add_paraphrase(who, to, &f.text)
        .await
        .map_err(fail)?;
    Ok(Redirect::to(&format!(
        "/desk/office/entries/{}?saved=true",
        urlencode(&id)
    )))
}

async fn preview(
    desk: Desk,
    State(state): State<DeskState>,
    Form(form): Form<EntryForm>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let doc = state
        .office
        .draft_doc(&desk.user.name)
        .await
        .map_err(fail)?;
    let findings = form
        .entry(1)
        .map(|e| doc.entry_findings(&e, &owned(&state)))
        .unwrap_or_default();
    Ok(html! {
        (preview_of(&state, &tr, &doc, &form))
        @if !findings.is_empty() {
            ul.findings #preview-findings {
                @for f in &findings {
                    li class=(if f.severity == Severity::Error { "finding error" } else { "finding warning" }) data-field=(f.field) { (said(&tr, f)) }
                }
            }
        }
    })
}

#[derive(Deserialize)]
struct TryQuery {
    #[serde(default)]
    text: String,
}

async fn try_it(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<TryQuery>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let text = q.text.trim();
    if text.is_empty() {
        return Ok(html! {});
    }
    let engine = state
        .office
        .draft_engine(&desk.user.name)
        .await
        .map_err(fail)?;
    let (c, ranked) = engine.classify_with_entries(text, 3);
    let live = state.engine.current().classify(text);
    let catalog = engine.catalog();
    let question = |id: &EntryId| {
        catalog
            .entry(id)
            .map_or_else(|| id.to_string(), |e| e.question.clone())
    };
    Ok(html! {
        div.try-result data-intent=(c.intent) data-entry=(c.entry.as_ref().map(ToString::to_string).unwrap_or_default()) {
            p.answer {
                strong { (tr.t(&format!("desk-office-decision-{}", match c.decision {
                    crate::nlu::Decision::Answer => "answer",
                    crate::nlu::Decision::Clarify => "clarify",
                    crate::nlu::Decision::OutOfScope => "out-of-scope",
                }))) }
                " " (intent_title(&state, &desk.locale, &c.intent)) " · " (format!("{:.0}%", c.confidence * 100.0))
            }
            @if let Some(e) = &c.entry { p.entry { (tr.t("desk-office-try-entry")) " " a href={ "/desk/office/entries/" (urlencode(e.as_str())) } { (question(e)) } } }
            @if ranked.len() > 1 {
                ol.ranked { @for r in &ranked { li { (question(&r.entry)) " " span.score { (format!("{:.0}%", r.score * 100.0)) } } } }
            }
            @if live.intent != c.intent || live.entry != c.entry {
                p.live-differs { (tr.ta("desk-office-try-live", &[("intent", intent_title(&state, &desk.locale, &live.intent))])) }
            }
        }
    })
}
