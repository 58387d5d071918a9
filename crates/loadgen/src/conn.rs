//! The pushes' HTTP client for `http://` URLs: HTTP/1.1 connections kept per URL, each
//! request written straight on one. The load tool runs on the server's machine, so what it
//! spends per request is taken from the server: through reqwest's pooled client a request
//! parsed its URL again, serialized its query through `url`, and went through the pool's
//! bookkeeping, about a quarter of the tool's time. `https://` URLs keep using reqwest.

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use reqwest::Url;

/// Connections to one `http://` URL.
pub struct Connections {
    /// Where to connect: host (a name or an address) and port.
    address: (String, u16),
    host: HeaderValue,
    /// The URL's path and query, to which each request's query is added.
    target: String,
    /// Open connections not in use.
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("tcp connect error: {0}")]
    Connect(#[source] std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("invalid request: {0}")]
    Request(#[from] hyper::http::Error),
}

impl ConnError {
    /// The error's kind as the report counts it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect",
            Self::Http(e) if e.is_timeout() => "timeout",
            Self::Http(e) if e.is_body_write_aborted() || e.is_incomplete_message() => "body",
            Self::Http(_) | Self::Request(_) => "transport",
        }
    }
}

impl Connections {
    /// For an `http://` URL with a host; `None` for any other (reqwest then serves it).
    pub fn for_url(url: &Url) -> Option<Self> {
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        Some(Self {
            address: (
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port,
            ),
            host: HeaderValue::from_str(&authority).ok()?,
            target,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// POSTs `body` as XML with `query` added to the URL's, on an idle connection or a new
    /// one; the answer's status and body.
    pub async fn post(
        &self,
        query: &[(&str, String)],
        body: String,
    ) -> Result<(StatusCode, Bytes), ConnError> {
        let mut uri = self.target.clone();
        uri.push(if uri.contains('?') { '&' } else { '?' });
        let uri = {
            let mut pairs = form_urlencoded::Serializer::for_suffix(uri, self.target.len() + 1);
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
            pairs.finish()
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(Full::new(Bytes::from(body)))?;
        let mut sender = self.take().await?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        // Kept only once the answer is read whole: the connection is then free.
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sender);
        }
        Ok((status, body))
    }

    async fn take(&self) -> Result<SendRequest<Full<Bytes>>, ConnError> {
        loop {
            let next = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match next {
                Some(sender) if sender.is_closed() => continue,
                Some(sender) => return Ok(sender),
                None => break,
            }
        }
        let stream = tokio::net::TcpStream::connect((self.address.0.as_str(), self.address.1))
            .await
            .map_err(ConnError::Connect)?;
        stream.set_nodelay(true).map_err(ConnError::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Drives the connection; ends when the server or the last sender closes it.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_are_served_and_their_query_is_kept() {
        let https = Url::parse("https://example.org/wechat").unwrap();
        assert!(Connections::for_url(&https).is_none());
        let c = Connections::for_url(&Url::parse("http://127.0.0.1:18080/wechat?x=1").unwrap())
            .unwrap();
        assert_eq!(c.address, ("127.0.0.1".to_owned(), 18080));
        assert_eq!(c.host, "127.0.0.1:18080");
        assert_eq!(c.target, "/wechat?x=1");
        let c = Connections::for_url(&Url::parse("http://[::1]/wechat").unwrap()).unwrap();
        assert_eq!(c.address, ("::1".to_owned(), 80));
        assert_eq!(c.host, "[::1]");
    }

    /// Reads one request (head and `Content-Length` body) from `s`; `None` at its end.
    async fn request(s: &mut tokio::net::TcpStream) -> Option<(String, String)> {
        use tokio::io::AsyncReadExt;
        let mut buf = Vec::new();
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(buf[..end].to_vec()).unwrap();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |n| n.parse().unwrap());
                while buf.len() < end + 4 + len {
                    let mut more = [0u8; 4096];
                    let n = s.read(&mut more).await.unwrap();
                    buf.extend_from_slice(&more[..n]);
                }
                let body = String::from_utf8(buf[end + 4..end + 4 + len].to_vec()).unwrap();
                return Some((head, body));
            }
            let mut more = [0u8; 4096];
            let n = s.read(&mut more).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&more[..n]);
        }
    }

    #[tokio::test]
    async fn pushes_go_out_whole_on_one_kept_connection() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut accepted = 0;
            // Two requests, then the client's connection is closed by the test's end.
            while seen.len() < 2 {
                let (mut s, _) = listener.accept().await.unwrap();
                accepted += 1;
                while let Some((head, body)) = request(&mut s).await {
                    let reply = format!("echo:{body}");
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    s.write_all(answer.as_bytes()).await.unwrap();
                    seen.push(head);
                    if seen.len() == 2 {
                        break;
                    }
                }
            }
            (seen, accepted)
        });
        let url = Url::parse(&format!("http://127.0.0.1:{port}/wechat?x=1")).unwrap();
        let c = Connections::for_url(&url).unwrap();
        let query = [("openid", "o-1 2".to_owned()), ("nonce", "7".to_owned())];
        let (status, body) = c
            .post(&query, "<xml>\u{4e00}</xml>".to_owned())
            .await
            .unwrap();
        assert_eq!(
            (status, &body[..]),
            (StatusCode::OK, "echo:<xml>\u{4e00}</xml>".as_bytes())
        );
        let (_, body) = c.post(&query[1..], "second".to_owned()).await.unwrap();
        assert_eq!(&body[..], b"echo:second");
        let (seen, accepted) = server.await.unwrap();
        assert_eq!(
            accepted, 1,
            "the second request reused the first's connection"
        );
        assert!(
            seen[0].starts_with("POST /wechat?x=1&openid=o-1+2&nonce=7 HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0].contains(&format!("host: 127.0.0.1:{port}")),
            "{}",
            seen[0]
        );
        assert!(seen[0].contains("content-type: text/xml; charset=utf-8"));
        assert!(seen[1].starts_with("POST /wechat?x=1&nonce=7 HTTP/1.1\r\n"));
    }

    #[tokio::test]
    async fn a_url_nobody_listens_on_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/wechat")).unwrap();
        let e = Connections::for_url(&url)
            .unwrap()
            .post(&[], String::new())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "connect");
    }
}
