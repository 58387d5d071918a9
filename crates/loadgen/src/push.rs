//! Pushes as WeChat sends them (signed, encrypted in safe mode) and the checks on what
//! the callback answers.

use std::fmt;

use wechat_mp::crypto::AesKey;
use wechat_mp::reply::ParsedReply;
use wechat_mp::signature;
use wechat_mp::xml::XmlWriter;
use wechat_mp::Reply;

/// How bodies are protected.
#[derive(Clone, Debug)]
enum Protection {
    Plain,
    Safe { key: AesKey, appid: String },
}

/// Builds pushes for one official account and reads the answers.
#[derive(Clone, Debug)]
pub struct Pusher {
    token: String,
    account: String,
    protection: Protection,
}

/// Settings that cannot make pushes.
#[derive(Debug, PartialEq, Eq)]
pub struct SetupError(String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// One request: query parameters and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// `signature`, `timestamp`, `nonce`, `openid`, and in safe mode `encrypt_type` and
    /// `msg_signature`.
    pub query: Vec<(&'static str, String)>,
    /// The XML body.
    pub body: String,
    /// The request nonce; an encrypted answer must echo it.
    pub nonce: String,
}

/// A valid answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `success` or an empty body: nothing now, the answer (if any) comes later as a
    /// customer-service message.
    Success,
    /// A passive reply; `text` is the content of a text reply, a bracketed kind otherwise.
    Passive {
        /// The text, or `[image]`, `[news]`, `[transfer]`…
        text: String,
    },
}

/// Why an answer is not one WeChat would accept; `kind` names it in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// Not a reply document (or a malformed one).
    Malformed(String),
    /// Safe mode, but the reply is plaintext.
    NotEncrypted,
    /// `MsgSignature` does not match.
    BadSignature,
    /// The reply does not echo the request's nonce.
    WrongNonce,
    /// `Encrypt` cannot be opened with the key and AppID.
    Decrypt(String),
    /// The reply is addressed to someone else.
    WrongRecipient(String),
}

impl ReplyError {
    /// Short name used to count errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "bad_reply",
            Self::NotEncrypted => "reply_not_encrypted",
            Self::BadSignature => "reply_bad_signature",
            Self::WrongNonce => "reply_wrong_nonce",
            Self::Decrypt(_) => "reply_decrypt",
            Self::WrongRecipient(_) => "reply_wrong_recipient",
        }
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed reply: {why}"),
            Self::NotEncrypted => f.write_str("plaintext reply in safe mode"),
            Self::BadSignature => f.write_str("reply MsgSignature does not verify"),
            Self::WrongNonce => f.write_str("reply does not echo the request nonce"),
            Self::Decrypt(why) => write!(f, "reply cannot be decrypted: {why}"),
            Self::WrongRecipient(to) => write!(f, "reply addressed to {to:?}"),
        }
    }
}

impl Pusher {
    /// A pusher signing with `token`; with an EncodingAESKey (43 characters) bodies are
    /// encrypted for `appid`, which is then required.
    pub fn new(
        token: &str,
        account: &str,
        aes_key: Option<&str>,
        appid: Option<&str>,
    ) -> Result<Self, SetupError> {
        if token.is_empty() {
            return Err(SetupError("the callback token is empty".into()));
        }
        let protection = match aes_key.map(str::trim).filter(|k| !k.is_empty()) {
            None => Protection::Plain,
            Some(raw) => {
                let key = AesKey::parse(raw)
                    .map_err(|e| SetupError(format!("invalid --aes-key: {e}")))?;
                let appid = appid
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| SetupError("safe mode (--aes-key) needs --appid".into()))?;
                Protection::Safe {
                    key,
                    appid: appid.to_owned(),
                }
            }
        };
        Ok(Self {
            token: token.to_owned(),
            account: account.to_owned(),
            protection,
        })
    }

    /// Whether bodies are encrypted.
    pub fn is_safe(&self) -> bool {
        matches!(self.protection, Protection::Safe { .. })
    }

    /// `plaintext` or `safe`.
    pub fn mode_name(&self) -> &'static str {
        if self.is_safe() {
            "safe"
        } else {
            "plaintext"
        }
    }

    /// The query of the URL-verification GET, answered with `echostr` in every mode.
    pub fn verification_query(
        &self,
        timestamp: i64,
        nonce: &str,
        echostr: &str,
    ) -> Vec<(&'static str, String)> {
        let ts = timestamp.to_string();
        vec![
            ("signature", signature::sign(&[&self.token, &ts, nonce])),
            ("timestamp", ts),
            ("nonce", nonce.to_owned()),
            ("echostr", echostr.to_owned()),
        ]
    }

    /// A text message from `openid`, as WeChat formats it.
    pub fn text_message(
        &self,
        openid: &str,
        content: &str,
        msg_id: u64,
        create_time: i64,
    ) -> String {
        let mut w = XmlWriter::new();
        w.text("ToUserName", &self.account)
            .text("FromUserName", openid)
            .number("CreateTime", create_time)
            .text("MsgType", "text")
            .text("Content", content)
            .number("MsgId", i64::try_from(msg_id).unwrap_or(i64::MAX));
        w.finish()
    }

    /// The push of `xml` from `openid`, stamped `timestamp`, with the given nonce and (in
    /// safe mode) the 16 random bytes that start the encrypted frame.
    pub fn push(
        &self,
        openid: &str,
        xml: &str,
        timestamp: i64,
        nonce: &str,
        random: &[u8; 16],
    ) -> Push {
        let ts = timestamp.to_string();
        let mut query = vec![
            ("signature", signature::sign(&[&self.token, &ts, nonce])),
            ("timestamp", ts.clone()),
            ("nonce", nonce.to_owned()),
            ("openid", openid.to_owned()),
        ];
        let body = match &self.protection {
            Protection::Plain => xml.to_owned(),
            Protection::Safe { key, appid } => {
                let encrypt = key.encrypt_with(random, xml.as_bytes(), appid);
                let msg_signature = signature::sign(&[&self.token, &ts, nonce, &encrypt]);
                query.push(("encrypt_type", "aes".to_owned()));
                query.push(("msg_signature", msg_signature));
                let mut w = XmlWriter::new();
                w.text("ToUserName", &self.account)
                    .text("Encrypt", &encrypt);
                w.finish()
            }
        };
        Push {
            query,
            body,
            nonce: nonce.to_owned(),
        }
    }

    /// Checks an answer to a push from `openid` sent with `nonce`: `success`, empty, or a
    /// reply document to `openid`; in safe mode an encrypted envelope whose
    /// `MsgSignature` verifies, that echoes `nonce` and opens with the key and AppID.
    pub fn read_reply(&self, body: &[u8], openid: &str, nonce: &str) -> Result<Answer, ReplyError> {
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() || trimmed == b"success" {
            return Ok(Answer::Success);
        }
        let parsed = match &self.protection {
            Protection::Plain => parse_reply(trimmed)?,
            Protection::Safe { key, appid } => {
                let fields = wechat_mp::xml::parse(trimmed)
                    .map_err(|e| ReplyError::Malformed(e.to_string()))?;
                let Some(encrypt) = fields.get("Encrypt") else {
                    return Err(ReplyError::NotEncrypted);
                };
                let field = |name: &'static str| {
                    fields
                        .get(name)
                        .ok_or_else(|| ReplyError::Malformed(format!("no <{name}>")))
                };
                let (given, timestamp, echoed) =
                    (field("MsgSignature")?, field("TimeStamp")?, field("Nonce")?);
                if !signature::verify(given, &[&self.token, timestamp, echoed, encrypt]) {
                    return Err(ReplyError::BadSignature);
                }
                if echoed != nonce {
                    return Err(ReplyError::WrongNonce);
                }
                let xml = key
                    .decrypt(encrypt, appid)
                    .map_err(|e| ReplyError::Decrypt(e.to_string()))?;
                parse_reply(xml.as_bytes())?
            }
        };
        if parsed.to_user != openid {
            return Err(ReplyError::WrongRecipient(parsed.to_user));
        }
        Ok(match parsed.reply {
            Reply::Success => Answer::Success,
            reply => Answer::Passive {
                text: describe(&reply),
            },
        })
    }
}

fn parse_reply(xml: &[u8]) -> Result<ParsedReply, ReplyError> {
    Reply::from_xml(xml).map_err(|e| ReplyError::Malformed(e.to_string()))
}

fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Text(text) => text.clone(),
        Reply::Image { .. } => "[image]".into(),
        Reply::Voice { .. } => "[voice]".into(),
        Reply::Video { .. } => "[video]".into(),
        Reply::Music(_) => "[music]".into(),
        Reply::News(_) => "[news]".into(),
        Reply::TransferCustomerService { .. } => "[transfer to customer service]".into(),
        _ => "[other]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wechat_mp::callback::{Callback, CallbackQuery, Opened};
    use wechat_mp::{Config, Mode};

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wxloadtest";
    const TOKEN: &str = "loadtoken";
    const NOW: i64 = 1_764_000_000;

    fn safe() -> Pusher {
        Pusher::new(TOKEN, "gh_loadgen", Some(KEY), Some(APPID))
            .unwrap_or_else(|e| panic!("pusher: {e}"))
    }

    fn callback(mode: Mode) -> Callback {
        let config = Config {
            mode,
            encoding_aes_key: (mode != Mode::Plain).then(|| KEY.into()),
            ..Config::new(APPID, "secret", TOKEN)
        };
        Callback::new(&config).unwrap_or_else(|e| panic!("callback: {e}"))
    }

    fn query(push: &Push) -> CallbackQuery {
        let get = |name: &str| {
            push.query
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        CallbackQuery {
            signature: get("signature"),
            timestamp: get("timestamp"),
            nonce: get("nonce"),
            echostr: None,
            openid: get("openid"),
            encrypt_type: get("encrypt_type"),
            msg_signature: get("msg_signature"),
        }
    }

    fn opened(push: &Push, mode: Mode) -> Opened {
        callback(mode)
            .open(&query(push), push.body.as_bytes(), NOW)
            .unwrap_or_else(|e| panic!("wechat-mp refused the push: {e}"))
    }

    #[test]
    fn a_safe_mode_push_decrypts_to_the_same_xml_and_its_signature_verifies() {
        let pusher = safe();
        let xml = pusher.text_message("o-load-1-a-0-0", "fee <&> ]]> test", 7, NOW);
        let push = pusher.push("o-load-1-a-0-0", &xml, NOW, "123456", &[7u8; 16]);
        assert!(push.body.contains("<Encrypt>"));
        assert!(!push.body.contains("fee"));
        let q = query(&push);
        assert_eq!(q.encrypt_type.as_deref(), Some("aes"));
        // Through wechat-mp's own callback check: msg_signature, timestamp, decryption, AppID.
        let opened = opened(&push, Mode::Safe);
        assert_eq!(opened.xml, xml);
        assert_eq!(opened.key_index, Some(0));
        // And the signatures by hand.
        let encrypt = wechat_mp::xml::parse(push.body.as_bytes())
            .ok()
            .and_then(|f| f.get("Encrypt").map(str::to_owned))
            .unwrap_or_default();
        let ts = NOW.to_string();
        assert!(signature::verify(
            q.msg_signature.as_deref().unwrap_or_default(),
            &[TOKEN, &ts, "123456", &encrypt]
        ));
        assert!(signature::verify(
            q.signature.as_deref().unwrap_or_default(),
            &[TOKEN, &ts, "123456"]
        ));
        let parsed = wechat_mp::Update::from_xml(opened.xml.as_bytes())
            .unwrap_or_else(|e| panic!("update: {e}"));
        assert_eq!(parsed.text(), Some("fee <&> ]]> test"));
        assert_eq!(parsed.from.as_str(), "o-load-1-a-0-0");
    }

    #[test]
    fn a_plaintext_push_passes_the_plain_check() {
        let pusher =
            Pusher::new(TOKEN, "gh_loadgen", None, None).unwrap_or_else(|e| panic!("pusher: {e}"));
        let xml = pusher.text_message("o-x", "hello", 8, NOW);
        let push = pusher.push("o-x", &xml, NOW, "42", &[0u8; 16]);
        assert_eq!(push.body, xml);
        assert!(query(&push).msg_signature.is_none());
        assert_eq!(opened(&push, Mode::Plain).xml, xml);
    }

    #[test]
    fn the_signature_matches_the_official_vector() {
        // crates/wechat-mp/tests/integration/vectors.rs: official safe-mode example.
        let pusher = Pusher::new(
            "AAAAA",
            "gh_97417a04a28d",
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Some("wxba5fad812f8e6fb9"),
        )
        .unwrap_or_else(|e| panic!("pusher: {e}"));
        let push = pusher.push(
            "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
            "<xml/>",
            1714112445,
            "415670741",
            &[1; 16],
        );
        assert!(
            query(&push).signature.as_deref() == Some("6c5c811b55cc85e0e1b54100749188c20beb3f5d")
        );
    }

    #[test]
    fn encrypted_replies_are_verified_and_opened() {
        let pusher = safe();
        let xml = pusher.text_message("o-r", "hi", 9, NOW);
        let push = pusher.push("o-r", &xml, NOW, "777", &[3u8; 16]);
        let cb = callback(Mode::Safe);
        let opened = opened(&push, Mode::Safe);
        let reply = Reply::text("answer")
            .to_xml("o-r", "gh_loadgen", NOW, true)
            .unwrap_or_default();
        let sealed = cb.seal(&opened, &reply, NOW);
        assert_eq!(
            pusher.read_reply(sealed.as_bytes(), "o-r", "777"),
            Ok(Answer::Passive {
                text: "answer".into()
            })
        );
        assert_eq!(
            pusher.read_reply(sealed.as_bytes(), "o-other", "777"),
            Err(ReplyError::WrongRecipient("o-r".into()))
        );
        assert_eq!(
            pusher.read_reply(sealed.as_bytes(), "o-r", "778"),
            Err(ReplyError::WrongNonce)
        );
        let tampered = sealed.replacen("<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0", 1);
        assert_eq!(
            pusher.read_reply(tampered.as_bytes(), "o-r", "777"),
            Err(ReplyError::BadSignature)
        );
        assert_eq!(
            pusher.read_reply(reply.as_bytes(), "o-r", "777"),
            Err(ReplyError::NotEncrypted)
        );
        assert_eq!(
            pusher.read_reply(b"success", "o-r", "777"),
            Ok(Answer::Success)
        );
        assert_eq!(pusher.read_reply(b"", "o-r", "777"), Ok(Answer::Success));
        assert!(matches!(
            pusher.read_reply(b"oops", "o-r", "777"),
            Err(ReplyError::Malformed(_))
        ));
    }

    #[test]
    fn safe_mode_needs_an_appid_and_a_valid_key() {
        assert!(Pusher::new(TOKEN, "gh", Some(KEY), None).is_err());
        assert!(Pusher::new(TOKEN, "gh", Some("short"), Some(APPID)).is_err());
        assert!(Pusher::new("", "gh", None, None).is_err());
        assert!(!Pusher::new(TOKEN, "gh", Some(""), None)
            .map(|p| p.is_safe())
            .unwrap_or(true));
    }
}
