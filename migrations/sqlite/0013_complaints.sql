-- Complaints as cases with deadlines and a follow-up call, and the read-only `manager`
-- desk role. SQLite cannot change a CHECK in place: desk_users is rebuilt. Migrations run
-- with foreign keys off (storage::sqlite::migrate, checked afterwards), so the rows of
-- desk_sessions and handoffs keep pointing at the same ids through the rebuild.
CREATE TABLE desk_users_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL
                  CHECK (role IN ('agent', 'station', 'curator', 'admin', 'manager')),
    area          TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
);
INSERT INTO desk_users_rebuilt (id, name, display_name, role, area, password_hash, disabled,
                                created_at, failed_logins, locked_until)
    SELECT id, name, display_name, role, area, password_hash, disabled, created_at,
           failed_logins, locked_until
    FROM desk_users;
DROP TABLE desk_users;
ALTER TABLE desk_users_rebuilt RENAME TO desk_users;

-- A complaint case. The number residents are told is made from the id and the local day
-- it was opened (complaints::Case::number), so it is not stored twice.
CREATE TABLE complaints (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- One case per message that lodged it: a retried turn finds the case it made.
    source_key     TEXT NOT NULL UNIQUE,
    user_id        TEXT,
    account        TEXT,
    district       TEXT,
    words          TEXT NOT NULL,
    category       TEXT NOT NULL
                   CHECK (category IN ('unsorted', 'service', 'heating', 'repair', 'billing',
                                       'staff', 'other')),
    channel        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    owner          INTEGER REFERENCES desk_users (id),
    handoff_id     INTEGER REFERENCES handoffs (id),
    opened_at      TEXT NOT NULL,
    contact_by     TEXT NOT NULL,
    resolve_by     TEXT NOT NULL,
    contacted_at   TEXT,
    closed_at      TEXT,
    closed_by      INTEGER REFERENCES desk_users (id),
    outcome        TEXT,
    -- When the desk was told the case is overdue (once).
    overdue_at     TEXT,
    follow_up_due  TEXT,
    followed_up_at TEXT,
    satisfaction   INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    follow_up_note TEXT
);
CREATE INDEX complaints_status ON complaints (status, resolve_by);
CREATE INDEX complaints_opened ON complaints (opened_at);
CREATE INDEX complaints_user ON complaints (user_id);

-- What happened to a case, in order: the case page's timeline.
CREATE TABLE complaint_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL
                 CHECK (kind IN ('opened', 'note', 'taken', 'contacted', 'categorised',
                                 'closed', 'overdue', 'followed_up')),
    -- The desk user's display name; NULL: heatdesk itself.
    author       TEXT,
    note         TEXT
);
CREATE INDEX complaint_events_case ON complaint_events (complaint_id, id);

-- What the reports select by: periods of time (transcript lines and closed handoffs have
-- theirs since 0010).
CREATE INDEX handoffs_created ON handoffs (created_at);
CREATE INDEX requests_created ON requests (kind, created_at);
