//! The inbox: what residents asked that the bot did not answer well, near duplicates
//! grouped, questions the office already acted on left out.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Office, OfficeError};
use crate::catalog::collision_key;

/// How many logged messages and feedback lines the inbox reads.
const READ: i64 = 2000;
/// Two texts whose character pairs overlap this much are one question.
const SAME_QUESTION: f64 = 0.6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxGroup {
    /// The newest text's key: what actions on the group refer to.
    pub key: String,
    /// The newest text (masked).
    pub text: String,
    /// Other ways it was written (masked), at most a few.
    pub variants: Vec<String>,
    pub count: usize,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Why it is here: `clarify`, `out_of_scope`, `wrong_suggestion`, `contradicted`, …
    pub sources: BTreeSet<String>,
    /// The intent the bot took it for, last time.
    pub guess: Option<String>,
}

struct Item {
    key: String,
    text: String,
    at: DateTime<Utc>,
    source: String,
    guess: Option<String>,
}

fn pairs(key: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() == 1 {
        return [(chars[0], ' ')].into();
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn jaccard(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

impl Office {
    /// Groups, most asked first; at most `limit`.
    pub async fn inbox(&self, limit: usize) -> Result<Vec<InboxGroup>, OfficeError> {
        let mut handled: HashSet<String> = self.store.dismissed().await?.into_iter().collect();
        handled.extend(self.store.labels().await?.into_iter().map(|l| l.key));
        let mut items = Vec::new();
        let log = self
            .log
            .unanswered(READ)
            .await
            .map_err(|e| OfficeError::Bad(e.to_string()))?;
        for c in log {
            items.push(Item {
                key: collision_key(&c.text_masked),
                text: c.text_masked,
                at: c.at,
                source: c.decision,
                guess: Some(c.intent),
            });
        }
        for f in self.store.feedback(READ).await? {
            items.push(Item {
                key: collision_key(&f.text_masked),
                text: f.text_masked,
                at: f.at,
                source: f.kind.as_str().to_owned(),
                guess: f.intent,
            });
        }
        items.retain(|i| !i.key.is_empty() && !handled.contains(&i.key));
        // Newest first, so each group is represented by its latest wording.
        items.sort_by_key(|i| std::cmp::Reverse(i.at));
        Ok(group(items, limit))
    }

    /// Leaves a question out of the inbox from now on.
    pub async fn dismiss(&self, text: &str, by: &str) -> Result<(), OfficeError> {
        let key = collision_key(text);
        self.store.dismiss(&key, by).await?;
        self.audit(by, "dismiss", text, None, None, None).await;
        Ok(())
    }
}

/// A group while it is gathered: its character pairs, its members' keys, what it shows.
type Gathering = (HashSet<(char, char)>, Vec<String>, InboxGroup);

fn group(items: Vec<Item>, limit: usize) -> Vec<InboxGroup> {
    let mut groups: Vec<Gathering> = Vec::new();
    for item in items {
        let p = pairs(&item.key);
        let found = groups
            .iter_mut()
            .find(|(gp, keys, _)| keys.contains(&item.key) || jaccard(gp, &p) >= SAME_QUESTION);
        match found {
            Some((_, keys, g)) => {
                g.count += 1;
                g.first_seen = g.first_seen.min(item.at);
                g.sources.insert(item.source);
                if !keys.contains(&item.key) {
                    keys.push(item.key);
                    if g.variants.len() < 4 {
                        g.variants.push(item.text);
                    }
                }
            }
            None => groups.push((
                p,
                vec![item.key.clone()],
                InboxGroup {
                    key: item.key,
                    text: item.text,
                    variants: Vec::new(),
                    count: 1,
                    first_seen: item.at,
                    last_seen: item.at,
                    sources: [item.source].into(),
                    guess: item.guess,
                },
            )),
        }
    }
    let mut out: Vec<InboxGroup> = groups.into_iter().map(|(_, _, g)| g).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
    out.truncate(limit);
    out
}
