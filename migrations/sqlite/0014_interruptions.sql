-- Interruptions of the heat supply (停热 / 抢修 / 计划检修) for a district, estates and
-- optionally buildings. Estates and buildings are JSON arrays of the names the service
-- API gives an account.
CREATE TABLE interruptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('fault', 'planned', 'season_not_started')),
    district    TEXT NOT NULL,
    estates     TEXT NOT NULL,
    buildings   TEXT NOT NULL,
    cause       TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    eta         TEXT NOT NULL,
    restored_at TEXT,
    opened_by   TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX interruptions_open ON interruptions (restored_at);
-- Every change in order: the history of the expected restoration, and what subscribers
-- are told of. The largest id is the version instances compare to refresh their copy.
CREATE TABLE interruption_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    interruption_id INTEGER NOT NULL REFERENCES interruptions (id),
    kind            TEXT NOT NULL CHECK (kind IN ('opened', 'eta', 'restored')),
    eta             TEXT,
    at              TEXT NOT NULL,
    by_whom         TEXT NOT NULL
);
CREATE INDEX interruption_events_of ON interruption_events (interruption_id, id);
-- Residents who asked to be told of the next change ("恢复后通知我"). Events up to
-- `after_event` were already known to them when they asked.
CREATE TABLE interruption_subscribers (
    interruption_id INTEGER NOT NULL REFERENCES interruptions (id),
    user_id         TEXT NOT NULL,
    after_event     INTEGER NOT NULL,
    subscribed_at   TEXT NOT NULL,
    PRIMARY KEY (interruption_id, user_id)
);
-- One row per (change, subscriber): the claim that makes the notice go out once, whichever
-- instance sees the change first; a claim left by a dead instance is held for the
-- resident's next message.
CREATE TABLE interruption_notices (
    event_id   INTEGER NOT NULL REFERENCES interruption_events (id),
    user_id    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'held')),
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX interruption_notices_state ON interruption_notices (state);
-- How each "not warm" case ended before a visit (triage): the office's and management's
-- figure of visits avoided. No resident is named.
CREATE TABLE triage_cases (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    outcome    TEXT NOT NULL CHECK (outcome IN ('interruption', 'insisted', 'season_not_started',
                   'suspended', 'valve_closed', 'arrears', 'self_check_asked',
                   'self_check_resolved', 'visit')),
    intent     TEXT NOT NULL,
    district   TEXT,
    opened_at  TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX triage_cases_opened ON triage_cases (opened_at);
