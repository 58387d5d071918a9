-- The reports over a year without reading a year of rows. Running counts per local day
-- (Asia/Shanghai), as 'YYYY-MM-DD' text like on SQLite, kept by triggers as the log is
-- written: messages per channel and decision, per hour, answered intents. They hold no
-- personal data and outlive the log's retention purge, like the handoffs' counts.
CREATE TABLE report_days (
    day      TEXT NOT NULL,
    channel  TEXT NOT NULL,
    decision TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (day, channel, decision)
);
CREATE TABLE report_hours (
    day  TEXT NOT NULL,
    hour INTEGER NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (day, hour)
);
CREATE TABLE report_intents (
    day    TEXT NOT NULL,
    intent TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (day, intent)
);

INSERT INTO report_days (day, channel, decision, n)
    SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), channel, decision, COUNT(*)
    FROM classifications GROUP BY 1, 2, 3;
INSERT INTO report_hours (day, hour, n)
    SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
           CAST(EXTRACT(HOUR FROM at AT TIME ZONE 'Asia/Shanghai') AS INTEGER), COUNT(*)
    FROM classifications GROUP BY 1, 2;
INSERT INTO report_intents (day, intent, n)
    SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), intent, COUNT(*)
    FROM classifications WHERE decision = 'answer' GROUP BY 1, 2;

CREATE FUNCTION classifications_report() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    local timestamp := NEW.at AT TIME ZONE 'Asia/Shanghai';
    d text := to_char(local, 'YYYY-MM-DD');
BEGIN
    INSERT INTO report_days (day, channel, decision, n) VALUES (d, NEW.channel, NEW.decision, 1)
        ON CONFLICT (day, channel, decision) DO UPDATE SET n = report_days.n + 1;
    INSERT INTO report_hours (day, hour, n)
        VALUES (d, CAST(EXTRACT(HOUR FROM local) AS INTEGER), 1)
        ON CONFLICT (day, hour) DO UPDATE SET n = report_hours.n + 1;
    IF NEW.decision = 'answer' THEN
        INSERT INTO report_intents (day, intent, n) VALUES (d, NEW.intent, 1)
            ON CONFLICT (day, intent) DO UPDATE SET n = report_intents.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER classifications_report AFTER INSERT ON classifications
    FOR EACH ROW EXECUTE FUNCTION classifications_report();

-- The local days each resident wrote on, each with the day they wrote before (NULL: the
-- first). The residents who wrote in a period are then its rows whose previous day is
-- before the period: one row each, counted without a DISTINCT over the year's lines.
-- Holds OpenIDs: erased and purged with the transcripts (privacy/places.rs, retention.rs).
CREATE TABLE report_residents (
    user_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    prev_day TEXT,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX report_residents_day ON report_residents (day, prev_day);

INSERT INTO report_residents (user_id, day, prev_day)
    SELECT user_id, day, LAG(day) OVER (PARTITION BY user_id ORDER BY day)
    FROM (SELECT DISTINCT user_id, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day
          FROM transcript_lines WHERE direction = 'in') t;

-- A line written out of order (a day between two known ones) also becomes the next
-- day's previous one.
CREATE FUNCTION transcript_lines_report() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d text := to_char(NEW.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD');
BEGIN
    IF EXISTS (SELECT 1 FROM report_residents WHERE user_id = NEW.user_id AND day = d) THEN
        RETURN NULL;
    END IF;
    UPDATE report_residents SET prev_day = d
        WHERE user_id = NEW.user_id AND day = (
            SELECT MIN(day) FROM report_residents WHERE user_id = NEW.user_id AND day > d);
    INSERT INTO report_residents (user_id, day, prev_day)
        VALUES (NEW.user_id, d, (
            SELECT MAX(day) FROM report_residents WHERE user_id = NEW.user_id AND day < d))
        ON CONFLICT (user_id, day) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER transcript_lines_report AFTER INSERT ON transcript_lines
    FOR EACH ROW WHEN (NEW.direction = 'in') EXECUTE FUNCTION transcript_lines_report();

-- Every form a resident started (a transaction, a lookup): the step it stands at, and how
-- it ended — `finished` (the bot carried it out or a rule ended it) or `abandoned` (the
-- resident cancelled, turned to something else or fell silent until the timeout).
-- NULL while it runs. Holds OpenIDs: anonymised by an erasure, purged with the transcripts.
CREATE TABLE form_runs (
    user_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    intent     TEXT NOT NULL,
    action     TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    step       TEXT NOT NULL,
    outcome    TEXT CHECK (outcome IN ('finished', 'abandoned')),
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX form_runs_started ON form_runs (started_at);

-- When a station job reached a step: one look-up per request, not a scan of every event.
CREATE INDEX request_events_step ON request_events (request_id, status, at);
