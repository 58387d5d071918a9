//! The callback protocol without HTTP: URL verification, opening pushes in
//! each mode and sealing replies. The axum layer is a thin shell around this.

use serde::Deserialize;

use crate::config::{Config, ConfigError, Mode, Secret};
use crate::crypto::{AesKey, DecryptError};
use crate::signature;
use crate::xml::{self, XmlError, XmlWriter};

/// The query string WeChat appends to the callback URL.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CallbackQuery {
    /// `sha1(sort(token, timestamp, nonce))`.
    pub signature: Option<String>,
    /// Seconds since the epoch, as sent.
    pub timestamp: Option<String>,
    /// Random number chosen by WeChat.
    pub nonce: Option<String>,
    /// URL verification challenge (GET only).
    pub echostr: Option<String>,
    /// The user (POST only).
    pub openid: Option<String>,
    /// `aes` when the body is encrypted.
    pub encrypt_type: Option<String>,
    /// `sha1(sort(token, timestamp, nonce, Encrypt))`.
    pub msg_signature: Option<String>,
}

/// Why a callback request was refused. Each maps to a 4xx status; none of
/// them is ever shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// A required query parameter is absent.
    #[error("missing query parameter {0}")]
    MissingParameter(&'static str),
    /// `signature` or `msg_signature` does not match.
    #[error("signature mismatch")]
    BadSignature,
    /// `timestamp` is not a number or outside the replay window.
    #[error("timestamp outside the replay window")]
    StaleTimestamp,
    /// Safe mode received a body without `<Encrypt>`.
    #[error("plaintext body refused in safe mode")]
    PlaintextRefused,
    /// The body is not a WeChat XML document.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The `Encrypt` payload could not be opened with any configured key.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// The document is XML but not a push.
    #[error(transparent)]
    Update(#[from] crate::update::UpdateError),
}

impl CallbackError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::BadSignature | Self::StaleTimestamp => http::StatusCode::FORBIDDEN,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// A push whose origin has been checked, ready to parse.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The plaintext XML document.
    pub xml: String,
    /// Index of the key that decrypted it, `None` when it came in plaintext;
    /// the reply is encrypted with the same key.
    pub key_index: Option<usize>,
    /// The request nonce, echoed in encrypted replies.
    pub nonce: String,
}

/// Verifies and opens callbacks for one account.
#[derive(Clone, Debug)]
pub struct Callback {
    token: Secret,
    appid: String,
    mode: Mode,
    keys: Vec<AesKey>,
    replay_window: i64,
}

impl Callback {
    /// Prepares the keys of `config`.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            token: config.token.clone(),
            appid: config.appid.clone(),
            mode: config.mode,
            keys: config.aes_keys()?,
            replay_window: i64::try_from(config.replay_window.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// Answers the GET that WeChat sends when the server URL is saved: in every
    /// mode the challenge is plaintext and covered by `signature`.
    pub fn verify_url(&self, q: &CallbackQuery, now: i64) -> Result<String, CallbackError> {
        self.check_signature(q, now)?;
        q.echostr
            .clone()
            .ok_or(CallbackError::MissingParameter("echostr"))
    }

    /// Checks a POST and returns its plaintext document.
    pub fn open(&self, q: &CallbackQuery, body: &[u8], now: i64) -> Result<Opened, CallbackError> {
        let nonce = param(&q.nonce, "nonce")?.to_owned();
        let fields = xml::parse(body)?;
        let encrypted = fields.get("Encrypt").map(str::to_owned);
        match (self.mode, encrypted) {
            (Mode::Safe | Mode::Compatible, Some(encrypt)) => {
                let timestamp = self.fresh_timestamp(q, now)?;
                let msg_signature = param(&q.msg_signature, "msg_signature")?;
                let token = self.token.expose();
                if !signature::verify(msg_signature, &[token, timestamp, &nonce, &encrypt]) {
                    return Err(CallbackError::BadSignature);
                }
                let (key_index, xml) = self.decrypt(&encrypt)?;
                Ok(Opened {
                    xml,
                    key_index: Some(key_index),
                    nonce,
                })
            }
            (Mode::Safe, None) => Err(CallbackError::PlaintextRefused),
            (Mode::Plain | Mode::Compatible, _) => {
                self.check_signature(q, now)?;
                let xml = String::from_utf8(body.to_vec())
                    .map_err(|e| XmlError::Utf8(e.utf8_error().valid_up_to()))?;
                Ok(Opened {
                    xml,
                    key_index: None,
                    nonce,
                })
            }
        }
    }

    /// Turns a plaintext reply into the response body: encrypted when the
    /// request was, with a fresh timestamp and random prefix.
    pub fn seal(&self, opened: &Opened, reply_xml: &str, now: i64) -> String {
        let random: [u8; 16] = rand::random();
        self.seal_with(opened, reply_xml, &random, now)
    }

    /// [`Callback::seal`] with the random prefix and timestamp supplied, so
    /// published vectors can be reproduced byte for byte.
    pub fn seal_with(
        &self,
        opened: &Opened,
        reply_xml: &str,
        random: &[u8; 16],
        now: i64,
    ) -> String {
        let Some(key) = opened.key_index.and_then(|i| self.keys.get(i)) else {
            return reply_xml.to_owned();
        };
        let encrypt = key.encrypt_with(random, reply_xml.as_bytes(), &self.appid);
        let timestamp = now.to_string();
        let msg_signature =
            signature::sign(&[self.token.expose(), &timestamp, &opened.nonce, &encrypt]);
        let mut w = XmlWriter::new();
        w.text("Encrypt", &encrypt)
            .text("MsgSignature", &msg_signature)
            .number("TimeStamp", now)
            .text("Nonce", &opened.nonce);
        w.finish()
    }

    fn check_signature(&self, q: &CallbackQuery, now: i64) -> Result<(), CallbackError> {
        let timestamp = self.fresh_timestamp(q, now)?;
        let nonce = param(&q.nonce, "nonce")?;
        let given = param(&q.signature, "signature")?;
        if signature::verify(given, &[self.token.expose(), timestamp, nonce]) {
            Ok(())
        } else {
            Err(CallbackError::BadSignature)
        }
    }

    fn fresh_timestamp<'q>(
        &self,
        q: &'q CallbackQuery,
        now: i64,
    ) -> Result<&'q str, CallbackError> {
        let raw = param(&q.timestamp, "timestamp")?;
        let sent: i64 = raw
            .trim()
            .parse()
            .map_err(|_| CallbackError::StaleTimestamp)?;
        if now.abs_diff(sent) > self.replay_window.unsigned_abs() {
            return Err(CallbackError::StaleTimestamp);
        }
        Ok(raw)
    }

    /// Tries the current key, then the previous one, so messages encrypted
    /// just before a key rotation still open.
    fn decrypt(&self, encrypt: &str) -> Result<(usize, String), CallbackError> {
        let mut first_error = None;
        for (index, key) in self.keys.iter().enumerate() {
            match key.decrypt(encrypt, &self.appid) {
                Ok(xml) => return Ok((index, xml)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(DecryptError::Frame).into())
    }
}

fn param<'q>(value: &'q Option<String>, name: &'static str) -> Result<&'q str, CallbackError> {
    value
        .as_deref()
        .ok_or(CallbackError::MissingParameter(name))
}
