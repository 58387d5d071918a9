-- Complaints as cases with deadlines and a follow-up call, and the read-only `manager`
-- desk role.
ALTER TABLE desk_users DROP CONSTRAINT desk_users_role_check;
ALTER TABLE desk_users ADD CONSTRAINT desk_users_role_check
    CHECK (role IN ('agent', 'station', 'curator', 'admin', 'manager'));

-- A complaint case. The number residents are told is made from the id and the local day
-- it was opened (complaints::Case::number), so it is not stored twice.
CREATE TABLE complaints (
    id             BIGSERIAL PRIMARY KEY,
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
    owner          BIGINT REFERENCES desk_users (id),
    handoff_id     BIGINT REFERENCES handoffs (id),
    opened_at      TIMESTAMPTZ NOT NULL,
    contact_by     TIMESTAMPTZ NOT NULL,
    resolve_by     TIMESTAMPTZ NOT NULL,
    contacted_at   TIMESTAMPTZ,
    closed_at      TIMESTAMPTZ,
    closed_by      BIGINT REFERENCES desk_users (id),
    outcome        TEXT,
    -- When the desk was told the case is overdue (once).
    overdue_at     TIMESTAMPTZ,
    follow_up_due  TIMESTAMPTZ,
    followed_up_at TIMESTAMPTZ,
    satisfaction   BIGINT CHECK (satisfaction BETWEEN 1 AND 5),
    follow_up_note TEXT
);
CREATE INDEX complaints_status ON complaints (status, resolve_by);
CREATE INDEX complaints_opened ON complaints (opened_at);
CREATE INDEX complaints_user ON complaints (user_id);

-- What happened to a case, in order: the case page's timeline.
CREATE TABLE complaint_events (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    at           TIMESTAMPTZ NOT NULL,
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
