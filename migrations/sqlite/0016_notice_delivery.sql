-- Notices become an outbox. Each is made once per key and resident (a request's step, a
-- case's outcome), delivered by whichever instance claims it (a lease in epoch
-- milliseconds: a claim whose instance died runs out and another instance delivers), and
-- kept with how it went: a customer-service message, a template message, or held for the
-- resident's next message (then told, once it was). The rows made before this migration
-- were all held.
ALTER TABLE notices ADD COLUMN notice_key TEXT;
ALTER TABLE notices ADD COLUMN purpose TEXT;
-- What a template message carries, by field (JSON), rendered when the notice was made.
ALTER TABLE notices ADD COLUMN fields TEXT;
ALTER TABLE notices ADD COLUMN status TEXT NOT NULL DEFAULT 'held'
    CHECK (status IN ('pending', 'held', 'told', 'sent', 'template'));
ALTER TABLE notices ADD COLUMN lease_until BIGINT;
ALTER TABLE notices ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- Why a way of delivery failed (an errcode), for the desk and the logs.
ALTER TABLE notices ADD COLUMN detail TEXT;
ALTER TABLE notices ADD COLUMN done_at TEXT;
CREATE UNIQUE INDEX notices_key ON notices (notice_key, user_id);
CREATE INDEX notices_pending ON notices (id) WHERE status = 'pending';

-- When the resident was asked the follow-up question of a closed case (with its outcome):
-- from then on an answer of 1 to 5 is the case's follow-up.
ALTER TABLE complaints ADD COLUMN follow_up_asked_at TEXT;
