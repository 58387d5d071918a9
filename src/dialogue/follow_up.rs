//! Scores the resident gives: the rating of a person who helped them, and the answer to
//! the follow-up question sent when their complaint case was closed.

use super::ctx::Ctx;
use super::state::State;
use crate::entities::Entities;

/// Longest answer kept as the follow-up's note.
const WORDS_MAX: usize = 200;

/// A score of 1 to 5 in the message: a numbered answer, a lone digit (with or without the
/// word for points) or words the lexicon rates (`[[satisfaction]]` in intents/lexicon.toml).
pub(super) fn score(t: &str, entities: &Entities) -> Option<i64> {
    let digit = || {
        let digits: Vec<u32> = t.chars().filter_map(|c| c.to_digit(10)).collect();
        (digits.len() == 1).then(|| digits[0] as usize)
    };
    let n = entities
        .choice
        .or_else(digit)
        .or(entities.satisfaction)
        .filter(|n| (1..=5).contains(n))?;
    i64::try_from(n).ok()
}

/// The resident answered the follow-up question of a closed case: recorded and thanked.
/// `None` when the message is no score or no question awaits an answer; the database is
/// asked only for a message that reads as a score.
pub(super) async fn answered(cx: &mut Ctx<'_>, t: &str, entities: &Entities) -> Option<State> {
    let score = score(t, entities)?;
    let port = cx.d.deps.complaints.clone()?;
    let case = match port.awaiting_follow_up(cx.user).await {
        Ok(case) => case?,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for a follow-up question");
            return None;
        }
    };
    let words: String = crate::domain::mask_personal(t.trim())
        .chars()
        .take(WORDS_MAX)
        .collect();
    match port.followed_up(case, score, &words, cx.at).await {
        Ok(true) => cx.promised = true,
        // Answered meanwhile (an agent's call, another message): this one is a message.
        Ok(false) => return None,
        Err(e) => tracing::error!(error = %e, case, "cannot record the follow-up answer"),
    }
    tracing::info!(case, score, "complaint follow-up answered on WeChat");
    cx.say("complaint-follow-up-thanks", &[]);
    Some(State::Idle)
}
