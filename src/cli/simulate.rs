//! `heatdesk simulate`: a stand-in for WeChat's servers, posting a resident's messages to
//! a callback URL and printing what the account answers.
//!
//! Output is one block per message, stable so scripts and tests can compare it:
//! `> TEXT` (or `> [subscribe]`), then the reply: a text reply's content as is, any
//! other kind in brackets, e.g. `[success]` when the answer will come later as a
//! customer-service message.

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use wechat_mp::crypto::AesKey;
use wechat_mp::reply::ParsedReply;
use wechat_mp::xml::{self, XmlWriter};
use wechat_mp::{signature, Reply};

use super::wechat::{open_encrypted, Account};

/// An account's original id as WeChat puts it in `ToUserName`; servers echo it back
/// in `FromUserName`, so any well-formed one will do.
const ACCOUNT_ORIGINAL_ID: &str = "gh_7d3e5a1c9b20";

/// Shaped like a real OpenID (28 characters), so length or charset checks on the
/// server see nothing unusual.
const DEFAULT_OPENID: &str = "oHd9Sim0Resident-00000000001";

/// MsgIds in captures are 19-digit numbers.
const MSG_IDS: std::ops::Range<i64> = 1_000_000_000_000_000_000..i64::MAX;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The callback URL, e.g. http://127.0.0.1:8080/wechat.
    #[arg(long)]
    pub url: String,
    /// The token from the account's server settings.
    #[arg(long, env = "HEATDESK_WECHAT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The EncodingAESKey: with it, messages are sent in safe mode (encrypted).
    #[arg(
        long,
        requires = "appid",
        env = "HEATDESK_WECHAT_AES_KEY",
        hide_env_values = true
    )]
    pub aes_key: Option<String>,
    /// The account's AppID, needed with --aes-key.
    #[arg(long, requires = "aes_key", env = "HEATDESK_WECHAT_APPID")]
    pub appid: Option<String>,
    /// The resident's OpenID.
    #[arg(long, default_value = DEFAULT_OPENID)]
    pub from: String,
    /// Send this event before the messages (or alone, without TEXT).
    #[arg(long, value_enum)]
    pub event: Option<SimulatedEvent>,
    /// Seconds to wait for each answer; WeChat gives up after 5 and retries.
    #[arg(long, default_value_t = 5)]
    pub timeout_secs: u64,
    /// The messages, each sent as one text message, in order.
    #[arg(required_unless_present = "event")]
    pub text: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulatedEvent {
    /// The resident follows the account.
    Subscribe,
    /// The resident unfollows it.
    Unsubscribe,
}

impl SimulatedEvent {
    fn name(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
        }
    }
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<std::process::ExitCode> {
    let sim = Simulator::new(&args)?;
    let mut out = std::io::stdout();
    if let Some(event) = args.event {
        let reply = sim.send(&event_push(&args.from, event, unix_now())).await?;
        writeln!(out, "> [{}]\n{reply}", event.name())?;
    }
    for text in &args.text {
        let push = text_push(&args.from, text, unix_now(), rand::random_range(MSG_IDS));
        writeln!(out, "> {text}")?;
        // Shown before the answer arrives, so a slow or failing reply is seen in context.
        out.flush()?;
        let reply = sim.send(&push).await?;
        writeln!(out, "{reply}")?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}

struct Simulator {
    client: reqwest::Client,
    url: reqwest::Url,
    token: String,
    from: String,
    /// Safe mode: the account whose key encrypts pushes and opens replies.
    safe: Option<(Account, AesKey)>,
}

impl Simulator {
    fn new(args: &SimulateArgs) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&args.url).with_context(|| format!("--url {}", args.url))?;
        let safe = match (&args.aes_key, &args.appid) {
            (Some(aes_key), Some(appid)) => {
                let key = AesKey::parse(aes_key).context("invalid EncodingAESKey")?;
                let account = Account {
                    token: args.token.clone(),
                    aes_key: aes_key.clone(),
                    appid: appid.clone(),
                };
                Some((account, key))
            }
            _ => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(args.timeout_secs))
            .build()?;
        Ok(Self {
            client,
            url,
            token: args.token.clone(),
            from: args.from.clone(),
            safe,
        })
    }

    /// Posts one push and returns its reply as printed.
    async fn send(&self, push: &str) -> anyhow::Result<String> {
        let (url, body) = self.signed_request(push);
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .send()
            .await
            .with_context(|| format!("posting to {}", self.url))?;
        let status = response.status();
        let answer = response.bytes().await.context("reading the answer")?;
        if !status.is_success() {
            bail!(
                "{} answered HTTP {status}: {}",
                self.url,
                String::from_utf8_lossy(&answer).trim()
            );
        }
        let reply = self.read_reply(&answer)?;
        if !matches!(reply.reply, Reply::Success) && reply.to_user != self.from {
            eprintln!(
                "warning: the reply is addressed to {:?}, not to the sender {:?}",
                reply.to_user, self.from
            );
        }
        Ok(describe(&reply.reply))
    }

    /// The URL with WeChat's query parameters and the body, encrypted in safe mode;
    /// a fresh timestamp and nonce each time, as WeChat sends for a new push.
    fn signed_request(&self, push: &str) -> (reqwest::Url, String) {
        let timestamp = unix_now().to_string();
        let nonce = rand::random_range(100_000_000..1_000_000_000u32).to_string();
        let mut url = self.url.clone();
        let mut query = url.query_pairs_mut();
        query
            .append_pair(
                "signature",
                &signature::sign(&[&self.token, &timestamp, &nonce]),
            )
            .append_pair("timestamp", &timestamp)
            .append_pair("nonce", &nonce)
            .append_pair("openid", &self.from);
        let body = match &self.safe {
            Some((account, key)) => {
                let encrypt = key.encrypt(push.as_bytes(), &account.appid);
                let msg_signature = signature::sign(&[&self.token, &timestamp, &nonce, &encrypt]);
                query
                    .append_pair("encrypt_type", "aes")
                    .append_pair("msg_signature", &msg_signature);
                safe_envelope(&encrypt)
            }
            None => push.to_owned(),
        };
        drop(query);
        (url, body)
    }

    /// Reads an answer as WeChat does: `success` or empty, a reply document, or in safe
    /// mode an envelope whose signature is checked before it is opened.
    fn read_reply(&self, answer: &[u8]) -> anyhow::Result<ParsedReply> {
        let trimmed = answer.trim_ascii();
        if trimmed.is_empty() || trimmed == b"success" {
            return Ok(ParsedReply {
                to_user: String::new(),
                from_user: String::new(),
                create_time: 0,
                reply: Reply::Success,
            });
        }
        let fields = xml::parse(answer).context("the answer is not `success` nor XML")?;
        let plaintext = match (&self.safe, fields.get("Encrypt")) {
            (Some((account, _)), Some(encrypt)) => {
                let field = |name: &'static str| {
                    fields
                        .get(name)
                        .with_context(|| format!("the encrypted reply has no <{name}>"))
                };
                open_encrypted(
                    account,
                    field("TimeStamp")?,
                    field("Nonce")?,
                    field("MsgSignature")?,
                    encrypt,
                )
                .context("opening the encrypted reply")?
            }
            (None, Some(_)) => bail!("the reply is encrypted but no --aes-key was given"),
            (Some(_), None) => {
                bail!("the reply is plaintext XML; in safe mode WeChat accepts only encrypted replies")
            }
            (None, None) => {
                return Reply::from_xml(answer).context("the reply is not a passive reply document")
            }
        };
        Reply::from_xml(plaintext.as_bytes()).context("the reply is not a passive reply document")
    }
}

/// The one line or block printed for a reply.
fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Text(content) => content.clone(),
        Reply::Success => "[success]".to_owned(),
        Reply::Image { media_id } => format!("[image {media_id}]"),
        Reply::Voice { media_id } => format!("[voice {media_id}]"),
        Reply::Video { media_id, .. } => format!("[video {media_id}]"),
        Reply::Music(music) => format!("[music {}]", music.title.as_deref().unwrap_or_default()),
        Reply::News(articles) => articles
            .iter()
            .map(|a| format!("[news] {} {}", a.title, a.url))
            .collect::<Vec<_>>()
            .join("\n"),
        Reply::TransferCustomerService { kf_account: None } => {
            "[transfer_customer_service]".to_owned()
        }
        Reply::TransferCustomerService {
            kf_account: Some(agent),
        } => format!("[transfer_customer_service {agent}]"),
        _ => "[unknown reply]".to_owned(),
    }
}

/// A text message as WeChat pushes it (element order as in captures).
fn text_push(from: &str, content: &str, create_time: i64, msg_id: i64) -> String {
    let mut w = XmlWriter::new();
    w.text("ToUserName", ACCOUNT_ORIGINAL_ID)
        .text("FromUserName", from)
        .number("CreateTime", create_time)
        .text("MsgType", "text")
        .text("Content", content)
        .number("MsgId", msg_id);
    w.finish()
}

fn event_push(from: &str, event: SimulatedEvent, create_time: i64) -> String {
    let mut w = XmlWriter::new();
    w.text("ToUserName", ACCOUNT_ORIGINAL_ID)
        .text("FromUserName", from)
        .number("CreateTime", create_time)
        .text("MsgType", "event")
        .text("Event", event.name());
    w.finish()
}

/// The safe-mode body: only the account id travels in clear.
fn safe_envelope(encrypt: &str) -> String {
    let mut w = XmlWriter::new();
    w.text("ToUserName", ACCOUNT_ORIGINAL_ID)
        .text("Encrypt", encrypt);
    w.finish()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
