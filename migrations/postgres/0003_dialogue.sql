-- Conversations per WeChat user: the dialogue state (JSON) with a version for optimistic
-- concurrency, the transcript kept for agents, account bindings and escalations.
CREATE TABLE conversations (
    user_id    TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE transcript_lines (
    id        BIGSERIAL PRIMARY KEY,
    user_id   TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text      TEXT NOT NULL
);
CREATE INDEX transcript_lines_user ON transcript_lines (user_id, id);

CREATE TABLE bindings (
    user_id     TEXT NOT NULL,
    account_no  TEXT NOT NULL,
    verified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, account_no)
);

CREATE TABLE escalations (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    intent     TEXT,
    confidence DOUBLE PRECISION,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX escalations_user ON escalations (user_id, id);
