//! Which account a form acts on: a bound one, one chosen among several, or a new one that
//! the resident proves is theirs (holder's name or the phone's last 4 digits).

use super::ctx::{arg, Ctx};
use super::state::{FormInstance, Pending, State};
use super::types::EscalationReason;
use super::{form, turn, DialogueError};
use crate::catalog::{Action, Form, SlotType};
use crate::entities::{Entities, PersonName};
use crate::service::{AccountNo, ServiceError, Verification};

/// Verification attempts before a person takes over.
const MAX_VERIFY_FAILURES: u32 = 2;

pub(super) const MODE_UNBIND: &str = "unbind";
pub(super) const MODE_LIST: &str = "list";

/// Binding a new account: bound ones must not be filled in for the resident.
fn binds_new(action: Action, f: &FormInstance) -> bool {
    action == Action::AccountBinding && f.mode.is_none()
}

pub(super) async fn bound(cx: &Ctx<'_>) -> Result<Vec<AccountNo>, DialogueError> {
    let list = cx.d.store.bindings(cx.user).await?;
    Ok(list.into_iter().map(|b| b.account).collect())
}

/// Finds the form's accounts; `Some(state)` when the resident must answer first.
pub(super) async fn resolve(
    cx: &mut Ctx<'_>,
    f: &mut FormInstance,
    action: Action,
    spec: &Form,
) -> Result<Option<State>, DialogueError> {
    let bound = bound(cx).await?;
    if let Some(no) = f.candidate.clone() {
        return candidate(cx, f, action, spec, &bound, no).await;
    }
    if !binds_new(action, f) && !bound.is_empty() {
        if action == Action::RequestStatus || bound.len() == 1 {
            f.accounts = if action == Action::RequestStatus {
                bound
            } else {
                bound[..1].to_vec()
            };
            return Ok(None);
        }
        ask_choice(cx, &bound).await;
        return Ok(Some(State::ChoosingAccount {
            form: f.clone(),
            options: bound,
        }));
    }
    if f.mode.as_deref() == Some(MODE_UNBIND) {
        cx.say("binding-none", &[]);
        return Ok(Some(State::Idle));
    }
    Ok(Some(ask_account(cx, f, spec)))
}

fn ask_account(cx: &mut Ctx<'_>, f: &FormInstance, spec: &Form) -> State {
    let slot = spec.slots.iter().find(|s| s.kind == SlotType::AccountNo);
    let (name, prompt) = slot.map_or(("account_no", "slot-account-no"), |s| {
        (s.name.as_str(), s.prompt.as_str())
    });
    cx.say(prompt, &[]);
    State::Filling {
        form: f.clone(),
        pending: Pending::Slot(name.to_owned()),
    }
}

/// An account number the resident gave: bound already, unknown, or to be verified.
async fn candidate(
    cx: &mut Ctx<'_>,
    f: &mut FormInstance,
    action: Action,
    spec: &Form,
    bound: &[AccountNo],
    no: AccountNo,
) -> Result<Option<State>, DialogueError> {
    if bound.contains(&no) {
        f.candidate = None;
        f.accounts = vec![no.clone()];
        if binds_new(action, f) {
            cx.say("binding-already", &[arg("account", no.as_str())]);
        }
        return Ok(None);
    }
    if f.mode.as_deref() == Some(MODE_UNBIND) {
        cx.say("binding-not-bound", &[arg("account", no.as_str())]);
        return Ok(Some(State::Idle));
    }
    match cx.d.deps.service.account(&no).await {
        Ok(_) => {
            cx.say("slot-verification", &[]);
            Ok(Some(State::Filling {
                form: f.clone(),
                pending: Pending::Verification,
            }))
        }
        Err(ServiceError::NotFound) => {
            f.candidate = None;
            cx.say("service-account-not-found", &[]);
            Ok(Some(ask_account(cx, f, spec)))
        }
        Err(e) => {
            cx.service_error(&e);
            Ok(Some(State::Idle))
        }
    }
}

fn proof(t: &str, e: &Entities) -> Option<Verification> {
    if let Some(n) = e.names.first() {
        return Some(Verification::HolderName(n.as_str().to_owned()));
    }
    if let Some(d) = &e.phone_last4 {
        return Some(Verification::PhoneLast4(d.clone()));
    }
    let t = t.trim();
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Verification::PhoneLast4(t.to_owned()));
    }
    PersonName::parse(t)
        .ok()
        .map(|n| Verification::HolderName(n.as_str().to_owned()))
}

/// The answer to "holder's name or last 4 digits?".
pub(super) async fn verify(
    cx: &mut Ctx<'_>,
    mut f: FormInstance,
    t: &str,
    e: &Entities,
) -> Result<State, DialogueError> {
    let Some(no) = f.candidate.clone() else {
        return form::run(cx, f).await;
    };
    let Some(p) = proof(t, e) else {
        let state = State::Filling {
            form: f.clone(),
            pending: Pending::Verification,
        };
        if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
            return Ok(next);
        }
        cx.say("slot-verification", &[]);
        return Ok(state);
    };
    match cx.d.deps.service.verify(&no, &p).await {
        Ok(true) => {
            bind(cx, &no).await?;
            f.candidate = None;
            f.failures = 0;
            f.accounts = vec![no];
            form::run(cx, f).await
        }
        Ok(false) => {
            f.failures += 1;
            tracing::info!(account = %no.masked(), failures = f.failures, "verification failed");
            if f.failures >= MAX_VERIFY_FAILURES {
                cx.say_with_contacts("dialogue-verify-locked");
                cx.escalate(
                    EscalationReason::VerificationFailed,
                    Some(f.intent.clone()),
                    None,
                );
                return Ok(State::Idle);
            }
            cx.say("dialogue-verify-failed", &[]);
            Ok(State::Filling {
                form: f,
                pending: Pending::Verification,
            })
        }
        Err(err) => {
            cx.service_error(&err);
            Ok(State::Idle)
        }
    }
}

/// Binds a verified account to the resident, within the limit.
async fn bind(cx: &mut Ctx<'_>, no: &AccountNo) -> Result<(), DialogueError> {
    let max = cx.d.deps.settings.max_bindings;
    if bound(cx).await?.len() >= max {
        cx.say("binding-limit", &[arg("max", max)]);
        return Ok(());
    }
    cx.d.store.bind(cx.user, no, cx.at).await?;
    cx.promised = true;
    tracing::info!(account = %no.masked(), "account bound");
    let address =
        cx.d.deps
            .service
            .account(no)
            .await
            .map(|a| a.address)
            .unwrap_or_default();
    cx.say(
        "binding-done",
        &[arg("account", no.as_str()), arg("address", address)],
    );
    Ok(())
}

/// "Which account?" with the bound accounts numbered.
pub(super) async fn ask_choice(cx: &mut Ctx<'_>, options: &[AccountNo]) {
    say_numbered(cx, "dialogue-choose-account", options).await;
}

/// A heading, then the accounts numbered with their addresses.
pub(super) async fn say_numbered(cx: &mut Ctx<'_>, intro: &str, accounts: &[AccountNo]) {
    let mut lines = vec![cx.text(intro, &[])];
    for (i, no) in accounts.iter().enumerate() {
        let address =
            cx.d.deps
                .service
                .account(no)
                .await
                .map(|a| a.address)
                .unwrap_or_default();
        lines.push(cx.text(
            "dialogue-account-option",
            &[
                arg("n", i + 1),
                arg("account", no.as_str()),
                arg("address", address),
            ],
        ));
    }
    cx.push(lines.join("\n"));
}

/// The answer to "which account?": a number, or the account number itself.
pub(super) async fn choose(
    cx: &mut Ctx<'_>,
    mut f: FormInstance,
    options: Vec<AccountNo>,
    t: &str,
    e: &Entities,
) -> Result<State, DialogueError> {
    let by_number = e.choice.and_then(|n| options.get(n.checked_sub(1)?));
    let by_account = e.account_nos.iter().find(|a| options.contains(a));
    let tail = t.trim();
    let by_tail = (tail.len() == 4)
        .then(|| options.iter().find(|o| o.as_str().ends_with(tail)))
        .flatten();
    match by_number.or(by_account).or(by_tail).cloned() {
        Some(no) => {
            f.accounts = vec![no];
            form::run(cx, f).await
        }
        None => {
            let state = State::ChoosingAccount {
                form: f.clone(),
                options: options.clone(),
            };
            if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
                return Ok(next);
            }
            ask_choice(cx, &options).await;
            Ok(state)
        }
    }
}
