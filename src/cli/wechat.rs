//! `heatdesk wechat …`: the callback protocol's signatures and envelopes by hand, for
//! checking a captured request or preparing one without a WeChat account.
//!
//! Everything goes through `wechat_mp`, so these tools agree with the server byte for byte.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use wechat_mp::callback::{Callback, Opened};
use wechat_mp::crypto::{AesKey, DecryptError};
use wechat_mp::{signature, xml, Config, Mode};

#[derive(Debug, Subcommand)]
pub enum WechatCommand {
    /// Print `signature` over token, timestamp and nonce, or `msg_signature` with `--encrypt`.
    Sign {
        /// The token from the account's server settings.
        #[arg(long, env = "HEATDESK_WECHAT_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long)]
        timestamp: String,
        #[arg(long)]
        nonce: String,
        /// The text of `<Encrypt>`: prints `msg_signature` instead of `signature`.
        #[arg(long)]
        encrypt: Option<String>,
    },
    /// Verify a safe-mode request body (XML with `<Encrypt>`) read from stdin and print
    /// its plaintext.
    Decrypt {
        #[command(flatten)]
        account: Account,
        /// The request's `timestamp` query parameter.
        #[arg(long)]
        timestamp: String,
        /// The request's `nonce` query parameter.
        #[arg(long)]
        nonce: String,
        /// The request's `msg_signature` query parameter.
        #[arg(long)]
        msg_signature: String,
    },
    /// Encrypt a plaintext reply read from stdin and print the envelope WeChat expects
    /// (`Encrypt`, `MsgSignature`, `TimeStamp`, `Nonce`). A final line break on stdin is
    /// not part of the reply.
    Encrypt {
        #[command(flatten)]
        account: Account,
        /// The reply's `TimeStamp`, seconds since the epoch.
        #[arg(long)]
        timestamp: i64,
        /// The reply's `Nonce` (a server echoes the request's).
        #[arg(long)]
        nonce: String,
        /// 16 ASCII characters for the random prefix, for reproducible output
        /// (default: fresh random bytes).
        #[arg(long)]
        random: Option<String>,
    },
}

/// The account settings that safe mode needs; the environment variables are the ones
/// `heatdesk serve` reads, so a configured shell needs no flags.
#[derive(Debug, Clone, Args)]
pub struct Account {
    /// The token from the account's server settings.
    #[arg(long, env = "HEATDESK_WECHAT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The 43-character EncodingAESKey.
    #[arg(long, env = "HEATDESK_WECHAT_AES_KEY", hide_env_values = true)]
    pub aes_key: String,
    /// The account's AppID.
    #[arg(long, env = "HEATDESK_WECHAT_APPID")]
    pub appid: String,
}

pub fn run(command: WechatCommand) -> anyhow::Result<ExitCode> {
    let output = match command {
        WechatCommand::Sign {
            token,
            timestamp,
            nonce,
            encrypt,
        } => sign(&token, &timestamp, &nonce, encrypt.as_deref()),
        WechatCommand::Decrypt {
            account,
            timestamp,
            nonce,
            msg_signature,
        } => {
            let body = read_stdin()?;
            decrypt_body(&account, &timestamp, &nonce, &msg_signature, &body)?
        }
        WechatCommand::Encrypt {
            account,
            timestamp,
            nonce,
            random,
        } => {
            let body = read_stdin()?;
            let reply = std::str::from_utf8(&body).context("stdin is not valid UTF-8")?;
            let reply = reply.strip_suffix('\n').unwrap_or(reply);
            let reply = reply.strip_suffix('\r').unwrap_or(reply);
            if reply.is_empty() {
                bail!("stdin is empty: nothing to encrypt");
            }
            encrypt_reply(&account, timestamp, &nonce, random.as_deref(), reply)?
        }
    };
    println!("{output}");
    Ok(ExitCode::SUCCESS)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .context("reading stdin")?;
    Ok(body)
}

fn sign(token: &str, timestamp: &str, nonce: &str, encrypt: Option<&str>) -> String {
    match encrypt {
        Some(encrypt) => signature::sign(&[token, timestamp, nonce, encrypt]),
        None => signature::sign(&[token, timestamp, nonce]),
    }
}

fn decrypt_body(
    account: &Account,
    timestamp: &str,
    nonce: &str,
    msg_signature: &str,
    body: &[u8],
) -> anyhow::Result<String> {
    let fields = xml::parse(body).context("the body is not a WeChat XML document")?;
    let Some(encrypt) = fields.get("Encrypt") else {
        bail!("the body has no <Encrypt> element (a plaintext-mode body needs no decryption)");
    };
    open_encrypted(account, timestamp, nonce, msg_signature, encrypt)
}

/// Checks `msg_signature` and opens `encrypt`; shared by `decrypt` and by `simulate`,
/// which reads encrypted replies the same way WeChat does.
pub(super) fn open_encrypted(
    account: &Account,
    timestamp: &str,
    nonce: &str,
    msg_signature: &str,
    encrypt: &str,
) -> anyhow::Result<String> {
    if !signature::verify(msg_signature, &[&account.token, timestamp, nonce, encrypt]) {
        bail!(
            "msg_signature {msg_signature} does not match the token, timestamp, nonce and \
             <Encrypt> (expected {})",
            signature::sign(&[&account.token, timestamp, nonce, encrypt])
        );
    }
    let key = parse_key(&account.aes_key)?;
    match key.decrypt(encrypt, &account.appid) {
        Ok(plaintext) => Ok(plaintext),
        Err(DecryptError::AppId) => bail!("{}", foreign_receiver(&key, encrypt, &account.appid)),
        Err(error) => {
            Err(error).context("cannot decrypt <Encrypt> (is the EncodingAESKey the account's?)")
        }
    }
}

/// Names the AppID a payload was made for, which tells a mixed-up account from a wrong
/// key (a wrong key yields bytes that are no AppID at all).
fn foreign_receiver(key: &AesKey, encrypt: &str, appid: &str) -> String {
    let receiver = key
        .decrypt_raw(encrypt)
        .ok()
        .and_then(|(_, receiver)| String::from_utf8(receiver).ok())
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_graphic()));
    match receiver {
        Some(receiver) => {
            format!("the message was encrypted for AppID {receiver}, not {appid}")
        }
        None => format!(
            "the message was not encrypted for AppID {appid} (the decrypted frame names no \
             AppID: is the EncodingAESKey the account's?)"
        ),
    }
}

fn parse_key(aes_key: &str) -> anyhow::Result<AesKey> {
    AesKey::parse(aes_key).context("invalid EncodingAESKey")
}

/// Seals with the same code path as the callback endpoint, so the envelope is exactly
/// what a server in safe mode answers.
fn encrypt_reply(
    account: &Account,
    timestamp: i64,
    nonce: &str,
    random: Option<&str>,
    reply: &str,
) -> anyhow::Result<String> {
    let config = Config {
        mode: Mode::Safe,
        encoding_aes_key: Some(account.aes_key.as_str().into()),
        ..Config::new(account.appid.as_str(), "", account.token.as_str())
    };
    let callback = Callback::new(&config).context("cannot encrypt for this account")?;
    // Key 0 is the configured key; the request being answered is not needed.
    let opened = Opened {
        xml: String::new(),
        key_index: Some(0),
        nonce: nonce.to_owned(),
    };
    Ok(match random {
        Some(random) => callback.seal_with(&opened, reply, &random_prefix(random)?, timestamp),
        None => callback.seal(&opened, reply, timestamp),
    })
}

fn random_prefix(random: &str) -> anyhow::Result<[u8; 16]> {
    let bytes: [u8; 16] = random.as_bytes().try_into().map_err(|_| {
        anyhow::anyhow!(
            "--random must be 16 bytes (e.g. 707722b803182950), got {}",
            random.len()
        )
    })?;
    Ok(bytes)
}
