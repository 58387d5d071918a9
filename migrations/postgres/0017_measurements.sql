-- Room temperatures measured on an inspection visit (issue 16): what the station recorded
-- on the work order, the rectification deadline set when a room was below the standard,
-- and the optional photo. Compensation is computed from these rows and the interruptions,
-- never stored: a changed `[compensation]` setting changes what is owed.
CREATE TABLE measurements (
    id             BIGSERIAL PRIMARY KEY,
    request_id     TEXT NOT NULL,
    account        TEXT NOT NULL,
    -- JSON array of {"room": "...", "celsius": 17.5}, as the station typed them.
    rooms          TEXT NOT NULL,
    -- The coldest room: what is compared with rules.indoor_min_celsius.
    lowest_celsius DOUBLE PRECISION NOT NULL,
    -- The standard in force when measured, so a later change of the setting does not
    -- rewrite what the resident was told.
    min_celsius    DOUBLE PRECISION NOT NULL,
    measured_at    TIMESTAMPTZ NOT NULL,
    agreed         BOOLEAN NOT NULL,
    -- The visit's promised deadline (request + commitments.inspection_hours).
    visit_due      TIMESTAMPTZ NOT NULL,
    -- Set only when below the standard.
    rectify_by     TIMESTAMPTZ,
    recorded_by    TEXT NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    photo          BYTEA,
    photo_type     TEXT
);
CREATE INDEX measurements_account ON measurements (account, measured_at);
CREATE INDEX measurements_request ON measurements (request_id, id);
