use axum::body::Body;
use http::Request;

use crate::config::{Config, Mode, Secret};
use crate::crypto::AesKey;
use crate::reply::{ParsedReply, Reply, ReplyParseError};
use crate::signature;
use crate::xml::XmlWriter;

/// Builds callback requests the way WeChat does, for driving a router with
/// `tower::ServiceExt::oneshot`, and reads the answers back.
#[derive(Clone, Debug)]
pub struct CallbackClient {
    token: Secret,
    appid: String,
    mode: Mode,
    key: Option<AesKey>,
    path: String,
}

impl CallbackClient {
    /// A client for the account of `config`, sending to `/`.
    ///
    /// # Panics
    ///
    /// When `config` has a malformed EncodingAESKey.
    pub fn new(config: &Config) -> Self {
        let key = config
            .encoding_aes_key
            .as_ref()
            .map(|k| AesKey::parse(k.expose()).unwrap_or_else(|e| panic!("invalid test key: {e}")));
        Self {
            token: config.token.clone(),
            appid: config.appid.clone(),
            mode: config.mode,
            key,
            path: "/".into(),
        }
    }

    /// Sends to `path` instead of `/` (where the router is mounted).
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The GET WeChat sends when the URL is saved.
    pub fn verification(&self, echostr: &str) -> Request<Body> {
        let (timestamp, nonce) = (now().to_string(), "1514711492");
        let sig = signature::sign(&[self.token.expose(), &timestamp, nonce]);
        let uri = format!(
            "{}?signature={sig}&echostr={echostr}&timestamp={timestamp}&nonce={nonce}",
            self.path
        );
        request("GET", &uri, Body::empty())
    }

    /// A push of `xml`, encrypted as the mode requires, stamped now.
    pub fn push(&self, xml: &str) -> Request<Body> {
        self.push_at(xml, now(), &format!("{}", rand::random::<u32>()))
    }

    /// A push with a chosen timestamp and nonce (retries reuse both).
    pub fn push_at(&self, xml: &str, timestamp: i64, nonce: &str) -> Request<Body> {
        let ts = timestamp.to_string();
        let sig = signature::sign(&[self.token.expose(), &ts, nonce]);
        let mut uri = format!(
            "{}?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o-test",
            self.path
        );
        let body = match (&self.key, self.mode) {
            (Some(key), Mode::Safe | Mode::Compatible) => {
                let encrypt = key.encrypt(xml.as_bytes(), &self.appid);
                let msg_sig = signature::sign(&[self.token.expose(), &ts, nonce, &encrypt]);
                uri.push_str(&format!("&encrypt_type=aes&msg_signature={msg_sig}"));
                let mut w = XmlWriter::new();
                w.text("ToUserName", "gh_test").text("Encrypt", &encrypt);
                w.finish()
            }
            _ => xml.to_owned(),
        };
        request("POST", &uri, Body::from(body))
    }

    /// Reads a callback answer: `success`, a plaintext reply, or an encrypted
    /// envelope whose signature is checked before it is opened.
    pub fn read_reply(&self, body: &[u8]) -> Result<ParsedReply, ReplyParseError> {
        let Some(key) = &self.key else {
            return Reply::from_xml(body);
        };
        let fields = match crate::xml::parse(body) {
            Ok(fields) if fields.get("Encrypt").is_some() => fields,
            _ => return Reply::from_xml(body),
        };
        let get = |name: &'static str| fields.get(name).ok_or(ReplyParseError::Field(name));
        let encrypt = get("Encrypt")?;
        let parts = [
            self.token.expose(),
            get("TimeStamp")?,
            get("Nonce")?,
            encrypt,
        ];
        if !signature::verify(get("MsgSignature")?, &parts) {
            return Err(ReplyParseError::Field("MsgSignature"));
        }
        let xml = key
            .decrypt(encrypt, &self.appid)
            .map_err(|_| ReplyParseError::Field("Encrypt"))?;
        Reply::from_xml(xml.as_bytes())
    }

    /// A text message from `from`, as WeChat formats it.
    pub fn text_message(from: &str, content: &str, msg_id: u64, create_time: i64) -> String {
        let mut w = XmlWriter::new();
        w.text("ToUserName", "gh_test")
            .text("FromUserName", from)
            .number("CreateTime", create_time)
            .text("MsgType", "text")
            .text("Content", content);
        let mut xml = w.finish();
        xml.truncate(xml.len() - "</xml>".len());
        xml.push_str(&format!("<MsgId>{msg_id}</MsgId></xml>"));
        xml
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn request(method: &str, uri: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .unwrap_or_else(|e| panic!("invalid test request: {e}"))
}
