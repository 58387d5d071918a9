-- The built-in service API: accounts, bills, payments, requests with their timeline,
-- halls, idempotency keys (first response kept), and the outbox of writes not yet sent.
CREATE TABLE accounts (
    no          TEXT PRIMARY KEY,
    holder_name TEXT NOT NULL,
    phone       TEXT NOT NULL,
    address     TEXT NOT NULL,
    district    TEXT NOT NULL,
    estate      TEXT NOT NULL,
    area_m2     DOUBLE PRECISION NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended'))
);

CREATE TABLE bills (
    account_no TEXT NOT NULL REFERENCES accounts (no),
    season     TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid_fen   BIGINT NOT NULL,
    due        DATE NOT NULL,
    PRIMARY KEY (account_no, season)
);

CREATE TABLE payments (
    id         BIGSERIAL PRIMARY KEY,
    account_no TEXT NOT NULL REFERENCES accounts (no),
    at         TIMESTAMPTZ NOT NULL,
    amount_fen BIGINT NOT NULL,
    channel    TEXT NOT NULL,
    season     TEXT NOT NULL
);
CREATE INDEX payments_account ON payments (account_no, at);

-- Request ids are R + the Shanghai day + a per-day sequence.
CREATE TABLE request_seq (
    day TEXT PRIMARY KEY,
    n   BIGINT NOT NULL
);

CREATE TABLE requests (
    id         TEXT PRIMARY KEY,
    account_no TEXT NOT NULL REFERENCES accounts (no),
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    urgent     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    details    JSONB NOT NULL,
    idem_key   TEXT NOT NULL UNIQUE
);
CREATE INDEX requests_account ON requests (account_no, created_at);

CREATE TABLE request_events (
    seq        BIGSERIAL PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at         TIMESTAMPTZ NOT NULL,
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
    lat      DOUBLE PRECISION NOT NULL,
    lon      DOUBLE PRECISION NOT NULL
);

-- The unique key is what makes a repeated or concurrent write happen once.
CREATE TABLE idempotency_keys (
    idem_key    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    owner       TEXT NOT NULL,
    idem_key    TEXT NOT NULL UNIQUE,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    outcome     TEXT,
    reported    BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE INDEX outbox_owner ON outbox (owner, reported);
