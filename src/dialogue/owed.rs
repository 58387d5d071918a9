//! "What am I owed for the cold days?": a sub-question of the fee intent (which covers
//! reductions), not an intent of its own, since intent ids are a public contract. Which
//! messages ask it is data (`[compensation]` in `intents/dialogue.toml`). Amounts are
//! money of a named account, so like the balance they go only to a resident who bound
//! (and so verified) the account; anyone else reads the rules and is asked to bind.

use super::account;
use super::ctx::{arg, Ctx};
use super::DialogueError;
use crate::compensation::{AccountOwed, Reason};
use crate::domain::{EntryId, IntentId};

/// Answers the question; `false` when there is nothing to answer it with (no compensation
/// handle), and the intent's own handling follows.
pub(super) async fn answer(
    cx: &mut Ctx<'_>,
    intent: &IntentId,
    entry: Option<&EntryId>,
) -> Result<bool, DialogueError> {
    let Some(comp) = cx.d.deps.compensation.clone() else {
        return Ok(false);
    };
    let rules = cx.d.data.compensation.entry.clone();
    let rules = EntryId::parse(rules).ok();
    let bound = account::bound(cx).await?;
    if bound.is_empty() {
        // The rules, then how to see one's own figure: never an amount.
        cx.entry_reply(intent, rules.as_ref().or(entry));
        cx.say("owed-bind-first", &[]);
        return Ok(true);
    }
    let season = comp.current_season(cx.at);
    let mut nothing = false;
    for no in &bound {
        match comp.owed(no, season, cx.at).await {
            Ok(o) if o.owed.lines.is_empty() => {
                nothing = true;
                cx.say(
                    "owed-none",
                    &[arg("account", no.as_str()), arg("season", season.label())],
                );
            }
            Ok(o) => say_owed(cx, &o, season.label()),
            Err(e) => {
                tracing::warn!(account = %no.masked(), error = %e, "cannot compute what is owed");
                cx.say_with_contacts("bot-service-unavailable");
                return Ok(true);
            }
        }
    }
    if nothing {
        // "Nothing" needs the rules beside it, or it reads as a refusal.
        cx.entry_reply(intent, rules.as_ref().or(entry));
    }
    Ok(true)
}

fn say_owed(cx: &mut Ctx<'_>, o: &AccountOwed, season: String) {
    let mut lines = vec![cx.text(
        "owed-header",
        &[
            arg("account", &o.account),
            arg("address", &o.address),
            arg("season", season),
        ],
    )];
    for l in &o.owed.lines {
        let common = [
            arg("from", l.from),
            arg("days", l.days),
            arg("percent", l.percent),
            arg("amount", l.amount.yuan()),
        ];
        lines.push(match &l.reason {
            Reason::BelowStandard { celsius } => {
                let mut a = common.to_vec();
                a.push(arg("celsius", celsius));
                cx.text("owed-line-below", &a)
            }
            Reason::Interruption { hours, .. } => {
                let mut a = common.to_vec();
                a.push(arg("hours", hours));
                cx.text("owed-line-interruption", &a)
            }
        });
    }
    lines.push(cx.text("owed-total", &[arg("total", o.owed.total.yuan())]));
    cx.push(lines.join("\n"));
}
