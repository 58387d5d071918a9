-- Human handoff and the agent desk: desk users and their sessions, handoffs (the queue,
-- claims, resolution and the resident's rating), and who said what in the transcript.
CREATE TABLE desk_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'station', 'curator', 'admin')),
    area          TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

-- The session cookie is a random token; only its SHA-256 is stored.
CREATE TABLE desk_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES desk_users (id),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX desk_sessions_user ON desk_sessions (user_id);

CREATE TABLE handoffs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'claimed', 'closed')),
    reason      TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    intent      TEXT,
    confidence  REAL,
    context     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    claimed_by  INTEGER REFERENCES desk_users (id),
    claimed_at  TEXT,
    closed_at   TEXT,
    closed_by   INTEGER REFERENCES desk_users (id),
    resolution  TEXT,
    note        TEXT,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    rated_at    TEXT
);
-- One open handoff per resident: a second escalation joins the first.
CREATE UNIQUE INDEX handoffs_open_user ON handoffs (user_id) WHERE status <> 'closed';
CREATE INDEX handoffs_queue ON handoffs (status, priority, created_at);

ALTER TABLE transcript_lines ADD COLUMN author TEXT;
ALTER TABLE transcript_lines ADD COLUMN intent TEXT;
ALTER TABLE transcript_lines ADD COLUMN confidence REAL;
ALTER TABLE transcript_lines ADD COLUMN delivery TEXT;
