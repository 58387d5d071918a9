-- Who exported or erased a resident's data, and when: the answer to an auditor. The
-- resident is named by a masked OpenID only, so the log itself holds no one's identity.
CREATE TABLE privacy_audit (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('export', 'erase')),
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX privacy_audit_at ON privacy_audit (at);
-- The retention job deletes by age.
CREATE INDEX transcript_lines_at ON transcript_lines (at);
CREATE INDEX escalations_at ON escalations (at);
CREATE INDEX handoffs_closed_at ON handoffs (closed_at) WHERE status = 'closed';
