-- The built-in service API: accounts, bills, payments, requests with their timeline,
-- halls, idempotency keys (first response kept), and the outbox of writes not yet sent.
CREATE TABLE accounts (
    no          TEXT PRIMARY KEY,
    holder_name TEXT NOT NULL,
    phone       TEXT NOT NULL,
    address     TEXT NOT NULL,
    district    TEXT NOT NULL,
    estate      TEXT NOT NULL,
    area_m2     REAL NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended'))
);

CREATE TABLE bills (
    account_no TEXT NOT NULL REFERENCES accounts (no),
    season     TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    paid_fen   INTEGER NOT NULL,
    due        TEXT NOT NULL,
    PRIMARY KEY (account_no, season)
);

CREATE TABLE payments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_no TEXT NOT NULL REFERENCES accounts (no),
    at         TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    season     TEXT NOT NULL
);
CREATE INDEX payments_account ON payments (account_no, at);

-- Request ids are R + the Shanghai day + a per-day sequence.
CREATE TABLE request_seq (
    day TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
);

CREATE TABLE requests (
    id         TEXT PRIMARY KEY,
    account_no TEXT NOT NULL REFERENCES accounts (no),
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    urgent     INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    details    TEXT NOT NULL,
    idem_key   TEXT NOT NULL UNIQUE
);
CREATE INDEX requests_account ON requests (account_no, created_at);

CREATE TABLE request_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at         TEXT NOT NULL,
    status     TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX request_events_request ON request_events (request_id, seq);

CREATE TABLE halls (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    district TEXT NOT NULL,
    address  TEXT NOT NULL,
    phone    TEXT NOT NULL,
    hours    TEXT NOT NULL,
    lat      REAL NOT NULL,
    lon      REAL NOT NULL
);

-- The unique key is what makes a repeated or concurrent write happen once.
CREATE TABLE idempotency_keys (
    idem_key    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner       TEXT NOT NULL,
    idem_key    TEXT NOT NULL UNIQUE,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    outcome     TEXT,
    reported    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE INDEX outbox_owner ON outbox (owner, reported);
