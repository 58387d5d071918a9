//! The assist core: a caller's words in, the standard replies an agent can read out, ranked,
//! in the form of the agent's channel, with the facts filled in as the bot fills them.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use heatdesk::assist::{suggest, Assist, Reply};
use heatdesk::catalog::{render, Entry};
use heatdesk::domain::Channel;
use heatdesk::nlu::{Decision, Engine};

use crate::helpers::repo;

const SUSPENSION_CALL: &str = "我家房子今年冬天没人住，想把暖气停了，要怎么办理？";

/// One engine on the shipped data for every test here: building it trains the model.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let sources = crate::helpers::shipped_sources();
        heatdesk::nlu::build_from(&sources, &Default::default()).unwrap()
    })
}

fn entry_of(assist: &Assist, i: usize) -> &'static Entry {
    engine()
        .catalog()
        .entry(&assist.suggestions[i].entry)
        .unwrap()
}

/// The phrasebook's text with the facts filled in, straight from the catalogue's data.
fn filled(text: &str) -> String {
    render(text, &engine().catalog().facts)
}

fn assert_ranked(assist: &Assist) {
    let scores: Vec<f32> = assist.suggestions.iter().map(|s| s.score).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]) && scores.iter().all(|s| *s > 0.0),
        "{scores:?}"
    );
}

#[test]
fn a_suspension_call_gets_the_suspension_script_with_facts_filled_in() {
    let assist = suggest(engine(), SUSPENSION_CALL, Channel::Hotline, 3);
    assert_eq!(assist.decision, Decision::Answer, "{assist:?}");
    assert_eq!(assist.intent.as_str(), "suspension");
    assert_eq!(assist.channel, Channel::Hotline);
    assert_eq!(assist.suggestions.len(), 3);
    assert_ranked(&assist);
    let first = &assist.suggestions[0];
    assert_eq!(first.intent.as_str(), "suspension");
    assert_eq!(
        Some(&first.entry),
        engine().classify(SUSPENSION_CALL).entry.as_ref(),
        "the entry the bot would answer with comes first"
    );
    let entry = entry_of(&assist, 0);
    assert_eq!(first.question, entry.question);
    let script = &entry.reply.hotline;
    assert_eq!(
        first.reply,
        Reply::Script {
            greeting: filled(&script.greeting),
            answer: filled(&script.answer),
            closing: filled(&script.closing),
        }
    );
    // The data has placeholders, the agent reads none.
    let written = format!("{}{}{}", script.greeting, script.answer, script.closing);
    assert!(written.contains("{company}"), "{written}");
    let Reply::Script {
        greeting, answer, ..
    } = &first.reply
    else {
        unreachable!()
    };
    assert!(greeting.contains(&engine().catalog().facts["company"]));
    assert!(!greeting.contains('{') && !answer.contains('{'), "{answer}");
}

#[test]
fn wechat_and_counter_get_their_own_single_text() {
    let hotline = suggest(engine(), SUSPENSION_CALL, Channel::Hotline, 3);
    for channel in [Channel::Wechat, Channel::Counter] {
        let assist = suggest(engine(), SUSPENSION_CALL, channel, 3);
        assert_eq!(assist.channel, channel);
        let order = |a: &Assist| {
            a.suggestions
                .iter()
                .map(|s| s.entry.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            order(&assist),
            order(&hotline),
            "the channel changes the form only"
        );
        for (i, s) in assist.suggestions.iter().enumerate() {
            let entry = entry_of(&assist, i);
            let written = match channel {
                Channel::Wechat => &entry.reply.wechat,
                _ => &entry.reply.counter,
            };
            assert_eq!(
                s.reply,
                Reply::Text {
                    text: filled(written)
                },
                "{channel:?} {}",
                s.entry
            );
        }
    }
    let wechat = suggest(engine(), SUSPENSION_CALL, Channel::Wechat, 1);
    let Reply::Text { text } = &wechat.suggestions[0].reply else {
        panic!("{wechat:?}")
    };
    assert!(text.contains(&engine().catalog().facts["suspension_deadline"]));
}

#[test]
fn the_limit_is_respected_and_a_smaller_one_is_a_prefix() {
    let five = suggest(engine(), SUSPENSION_CALL, Channel::Counter, 5);
    assert_eq!(five.suggestions.len(), 5);
    assert_ranked(&five);
    let mut entries: Vec<_> = five.suggestions.iter().map(|s| s.entry.clone()).collect();
    entries.dedup();
    assert_eq!(entries.len(), 5, "each entry once");
    for limit in [0, 1, 2] {
        let fewer = suggest(engine(), SUSPENSION_CALL, Channel::Counter, limit);
        assert_eq!(
            fewer.suggestions,
            five.suggestions[..limit],
            "limit {limit}"
        );
        assert_eq!(fewer.decision, five.decision);
    }
}

#[test]
fn nonsense_is_out_of_scope_and_whatever_is_suggested_is_still_ranked() {
    for text in ["qwxzjk", "blorp zank"] {
        let assist = suggest(engine(), text, Channel::Hotline, 5);
        assert_eq!(assist.decision, Decision::OutOfScope, "{text}: {assist:?}");
        assert!(assist.intent.is_out_of_scope());
        assert!(assist.suggestions.len() <= 5);
        assert_ranked(&assist);
    }
    // Nothing the engine knows: nothing to suggest, not even a guess at which
    // out-of-scope reply fits.
    let blank = suggest(engine(), "！！！？？？", Channel::Hotline, 5);
    assert_eq!(blank.decision, Decision::OutOfScope);
    assert!(blank.suggestions.is_empty(), "{blank:?}");
}

#[test]
fn another_utilitys_business_suggests_the_out_of_scope_reply_that_fits() {
    let text = "天然气费在哪交";
    let assist = suggest(engine(), text, Channel::Counter, 3);
    assert_eq!(assist.decision, Decision::OutOfScope, "{assist:?}");
    let first = &assist.suggestions[0];
    assert!(first.intent.is_out_of_scope(), "{assist:?}");
    let entry = entry_of(&assist, 0);
    assert!(
        entry
            .texts()
            .any(|t| t.contains("燃气") || t.contains("天然气")),
        "{}",
        entry.id
    );
}

#[test]
fn unsure_messages_still_get_ranked_suggestions_flagged_by_the_decision() {
    // Two matters in one breath: the bot would ask which, the agent gets both.
    let text = "营业厅 停供";
    let assist = suggest(engine(), text, Channel::Hotline, 4);
    assert_eq!(assist.decision, Decision::Clarify, "{assist:?}");
    assert_eq!(assist.suggestions.len(), 4);
    assert_ranked(&assist);
    let intents: Vec<&str> = assist
        .suggestions
        .iter()
        .map(|s| s.intent.as_str())
        .collect();
    assert!(
        intents.contains(&"suspension") && intents.contains(&"hall_info"),
        "{intents:?}"
    );
}

#[test]
fn the_json_body_is_snake_case_and_reads_back() {
    let assist = suggest(engine(), SUSPENSION_CALL, Channel::Hotline, 2);
    let body = serde_json::to_value(&assist).unwrap();
    assert_eq!(body["decision"], "answer");
    assert_eq!(body["channel"], "hotline");
    assert_eq!(body["intent"], "suspension");
    let first = &body["suggestions"][0];
    assert_eq!(first["reply"]["kind"], "script");
    for part in ["greeting", "answer", "closing"] {
        assert!(first["reply"][part].is_string(), "{part}");
    }
    assert!(first["score"].is_number() && first["question"].is_string());
    let back: Assist = serde_json::from_value(body).unwrap();
    assert_eq!(back, assist);
    let counter =
        serde_json::to_value(suggest(engine(), SUSPENSION_CALL, Channel::Counter, 1)).unwrap();
    assert_eq!(counter["suggestions"][0]["reply"]["kind"], "text");
    assert!(counter["suggestions"][0]["reply"]["text"].is_string());
}

#[test]
fn the_first_suggestion_is_what_the_bot_answers_across_the_evaluation_set() {
    let set = std::fs::read_to_string(repo().join("tests/data/eval.tsv")).unwrap();
    let mut checked = 0;
    for line in set.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let text = line.split('\t').next().unwrap();
        let c = engine().classify(text);
        let assist = suggest(engine(), text, Channel::Wechat, 3);
        assert_eq!(
            (&assist.intent, assist.confidence, assist.decision),
            (&c.intent, c.confidence, c.decision),
            "{text}"
        );
        assert_ranked(&assist);
        if c.decision != Decision::OutOfScope {
            assert_eq!(
                Some(&assist.suggestions[0].entry),
                c.entry.as_ref(),
                "{text}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
