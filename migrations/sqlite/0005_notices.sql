-- Request progress that could not reach a resident as a message (outside WeChat's
-- 48-hour window, quota used, WeChat not configured): shown at their next message.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notices_user ON notices (user_id, id);
CREATE INDEX bindings_account ON bindings (account_no);
