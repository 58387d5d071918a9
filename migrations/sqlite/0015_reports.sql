-- The reports over a year without reading a year of rows. Running counts per local day
-- (Asia/Shanghai: UTC+8 all year, so the offset is fixed here) kept by triggers as the log
-- is written: messages per channel and decision, per hour, answered intents. They hold no
-- personal data and outlive the log's retention purge, like the handoffs' counts.
CREATE TABLE report_days (
    day      TEXT NOT NULL,
    channel  TEXT NOT NULL,
    decision TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (day, channel, decision)
);
CREATE TABLE report_hours (
    day  TEXT NOT NULL,
    hour INTEGER NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (day, hour)
);
CREATE TABLE report_intents (
    day    TEXT NOT NULL,
    intent TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (day, intent)
);

INSERT INTO report_days (day, channel, decision, n)
    SELECT date(at, '+8 hours'), channel, decision, COUNT(*) FROM classifications
    GROUP BY 1, 2, 3;
INSERT INTO report_hours (day, hour, n)
    SELECT date(at, '+8 hours'), CAST(strftime('%H', at, '+8 hours') AS INTEGER), COUNT(*)
    FROM classifications GROUP BY 1, 2;
INSERT INTO report_intents (day, intent, n)
    SELECT date(at, '+8 hours'), intent, COUNT(*) FROM classifications
    WHERE decision = 'answer' GROUP BY 1, 2;

CREATE TRIGGER classifications_report AFTER INSERT ON classifications
BEGIN
    INSERT INTO report_days (day, channel, decision, n)
        VALUES (date(NEW.at, '+8 hours'), NEW.channel, NEW.decision, 1)
        ON CONFLICT (day, channel, decision) DO UPDATE SET n = n + 1;
    INSERT INTO report_hours (day, hour, n)
        VALUES (date(NEW.at, '+8 hours'), CAST(strftime('%H', NEW.at, '+8 hours') AS INTEGER), 1)
        ON CONFLICT (day, hour) DO UPDATE SET n = n + 1;
    INSERT INTO report_intents (day, intent, n)
        SELECT date(NEW.at, '+8 hours'), NEW.intent, 1 WHERE NEW.decision = 'answer'
        ON CONFLICT (day, intent) DO UPDATE SET n = n + 1;
END;

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
    FROM (SELECT DISTINCT user_id, date(at, '+8 hours') AS day FROM transcript_lines
          WHERE direction = 'in') t;

-- A line written out of order (a day between two known ones) also becomes the next
-- day's previous one.
CREATE TRIGGER transcript_lines_report AFTER INSERT ON transcript_lines
WHEN NEW.direction = 'in' AND NOT EXISTS (
    SELECT 1 FROM report_residents
    WHERE user_id = NEW.user_id AND day = date(NEW.at, '+8 hours'))
BEGIN
    UPDATE report_residents SET prev_day = date(NEW.at, '+8 hours')
        WHERE user_id = NEW.user_id AND day = (
            SELECT MIN(day) FROM report_residents
            WHERE user_id = NEW.user_id AND day > date(NEW.at, '+8 hours'));
    INSERT INTO report_residents (user_id, day, prev_day)
        VALUES (NEW.user_id, date(NEW.at, '+8 hours'), (
            SELECT MAX(day) FROM report_residents
            WHERE user_id = NEW.user_id AND day < date(NEW.at, '+8 hours')))
        ON CONFLICT (user_id, day) DO NOTHING;
END;

-- Every form a resident started (a transaction, a lookup): the step it stands at, and how
-- it ended — `finished` (the bot carried it out or a rule ended it) or `abandoned` (the
-- resident cancelled, turned to something else or fell silent until the timeout).
-- NULL while it runs. Holds OpenIDs: anonymised by an erasure, purged with the transcripts.
CREATE TABLE form_runs (
    user_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    intent     TEXT NOT NULL,
    action     TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    step       TEXT NOT NULL,
    outcome    TEXT CHECK (outcome IN ('finished', 'abandoned')),
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX form_runs_started ON form_runs (started_at);

-- When a station job reached a step: one look-up per request, not a scan of every event.
CREATE INDEX request_events_step ON request_events (request_id, status, at);
