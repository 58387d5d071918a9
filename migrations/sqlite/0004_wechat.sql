-- WeChat pushes already seen (retries are answered from here) and the shared access token.
CREATE TABLE wechat_dedup (
    key        TEXT PRIMARY KEY,
    outcome    TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX wechat_dedup_expiry ON wechat_dedup (expires_at);

CREATE TABLE wechat_tokens (
    appid      TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
