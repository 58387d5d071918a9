-- Room temperatures measured on an inspection visit (issue 16): what the station recorded
-- on the work order, the rectification deadline set when a room was below the standard,
-- and the optional photo. Compensation is computed from these rows and the interruptions,
-- never stored: a changed `[compensation]` setting changes what is owed.
CREATE TABLE measurements (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id     TEXT NOT NULL,
    account        TEXT NOT NULL,
    -- JSON array of {"room": "...", "celsius": 17.5}, as the station typed them.
    rooms          TEXT NOT NULL,
    -- The coldest room: what is compared with rules.indoor_min_celsius.
    lowest_celsius REAL NOT NULL,
    -- The standard in force when measured, so a later change of the setting does not
    -- rewrite what the resident was told.
    min_celsius    REAL NOT NULL,
    measured_at    TEXT NOT NULL,
    agreed         INTEGER NOT NULL CHECK (agreed IN (0, 1)),
    -- The visit's promised deadline (request + commitments.inspection_hours).
    visit_due      TEXT NOT NULL,
    -- Set only when below the standard.
    rectify_by     TEXT,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    photo          BLOB,
    photo_type     TEXT
);
CREATE INDEX measurements_account ON measurements (account, measured_at);
CREATE INDEX measurements_request ON measurements (request_id, id);
