//! `heatdesk chat`: the resident-facing dialogue in a terminal, one message per line.

use std::io::Write;
use std::process::ExitCode;

use crate::config::Settings;

pub async fn run(settings: Settings, user: &str) -> anyhow::Result<ExitCode> {
    use tokio::io::AsyncBufReadExt;
    let locale = settings.default_locale.clone();
    let state = crate::app::AppState::build(settings).await?;
    state.spawn_background();
    let dialogue = state.dialogue()?;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut n = 0u32;
    while let Some(line) = lines.next_line().await? {
        let Some(inbound) = chat_inbound(line.trim(), &mut n) else {
            continue;
        };
        let turn = crate::dialogue::Turn {
            user: user.to_owned(),
            inbound,
            at: chrono::Utc::now(),
            locale: locale.clone(),
            message: None,
        };
        let outcome = dialogue.handle(turn).await?;
        for reply in outcome.replies {
            println!("{reply}\n");
        }
        if let Some(e) = outcome.escalation {
            println!("[{}]\n", e.reason.as_str());
        }
        std::io::stdout().flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A terminal line as a WeChat message: text, or one of the `/` commands.
fn chat_inbound(line: &str, n: &mut u32) -> Option<crate::dialogue::Inbound> {
    use crate::dialogue::Inbound;
    if line.is_empty() {
        return None;
    }
    let mut words = line.split_whitespace();
    Some(match words.next() {
        Some("/image") => {
            *n += 1;
            Inbound::Image {
                media_id: format!("terminal-image-{n}"),
                url: None,
            }
        }
        Some("/location") => {
            let lat = words
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or_default();
            let lon = words
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or_default();
            Inbound::Location {
                lat,
                lon,
                label: None,
            }
        }
        Some("/click") => Inbound::Click {
            key: words.next().unwrap_or_default().to_owned(),
        },
        _ => Inbound::Text(line.to_owned()),
    })
}
