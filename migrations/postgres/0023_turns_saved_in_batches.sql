-- Finished turns saved in batches: the turns that end at the same moment on an instance
-- are saved in one call, one round trip and one commit, instead of a statement and a
-- commit each (`transcript::store_sql::PgStore::finish_turn`). Measured under load, the
-- turn's save was the last statement a message sent on its own.
--
-- Each turn as alone: its conversation is saved only if it still stands at the version
-- the turn read (or, for a first turn, if no other turn created it meanwhile); only then
-- are its transcript lines and form steps written. The answer says, per turn, whether it
-- saved. The conversations one statement each, over one resident, so that the plan is
-- the primary key's and is kept for the session (a plan over the arrays is made anew per
-- call, see 0022); the lines and the steps one statement each for the whole batch, as a
-- statement's start, not its rows, is what costs there (measured: executor starts were
-- a third of PostgreSQL's time with a statement per line). Lines keep the arrays' order
-- in their ids. A turn's steps have one row per form (`seq`).
CREATE FUNCTION heatdesk_save_turns(
    users TEXT[], states TEXT[], ats TIMESTAMPTZ[], expected BIGINT[], messages TEXT[],
    outcomes TEXT[],
    line_turns INTEGER[], line_ats TIMESTAMPTZ[], line_directions TEXT[], line_texts TEXT[],
    line_authors TEXT[], line_intents TEXT[], line_confidences DOUBLE PRECISION[],
    line_deliveries TEXT[],
    run_turns INTEGER[], run_seqs BIGINT[], run_intents TEXT[], run_actions TEXT[],
    run_ats TIMESTAMPTZ[], run_steps TEXT[], run_outcomes TEXT[])
RETURNS BOOLEAN[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    saved BOOLEAN[] := '{}';
    i INTEGER;
    who TEXT;
    was BIGINT;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(users), 0) LOOP
        who := users[i];
        was := expected[i];
        IF was IS NULL THEN
            INSERT INTO conversations
                (user_id, state, version, updated_at, last_message, last_outcome)
            VALUES (who, states[i], 1, ats[i], messages[i], outcomes[i])
            ON CONFLICT (user_id) DO NOTHING;
        ELSE
            UPDATE conversations SET state = states[i], version = version + 1,
                updated_at = ats[i], last_message = messages[i], last_outcome = outcomes[i]
            WHERE user_id = who AND version = was;
        END IF;
        saved := saved || FOUND;
    END LOOP;
    IF cardinality(line_turns) > 0 THEN
        INSERT INTO transcript_lines
            (user_id, at, direction, text, author, intent, confidence, delivery)
        SELECT users[l.turn], l.at, l.direction, l.text, l.author, l.intent, l.confidence,
               l.delivery
        FROM unnest(line_turns, line_ats, line_directions, line_texts, line_authors,
                    line_intents, line_confidences, line_deliveries) WITH ORDINALITY
             AS l(turn, at, direction, text, author, intent, confidence, delivery, n)
        WHERE saved[l.turn]
        ORDER BY l.n;
    END IF;
    IF cardinality(run_turns) > 0 THEN
        INSERT INTO form_runs
            (user_id, seq, intent, action, started_at, updated_at, step, outcome)
        SELECT users[r.turn], r.seq, r.intent, r.action, r.at, r.at, r.step, r.outcome
        FROM unnest(run_turns, run_seqs, run_intents, run_actions, run_ats, run_steps,
                    run_outcomes) AS r(turn, seq, intent, action, at, step, outcome)
        WHERE saved[r.turn]
        ON CONFLICT (user_id, seq) DO UPDATE SET updated_at = EXCLUDED.updated_at,
            step = EXCLUDED.step, outcome = EXCLUDED.outcome;
    END IF;
    RETURN saved;
END
$$;

-- The residents' days for the reports were kept by a row trigger on every incoming line:
-- a plpgsql call and a lookup per line. A statement trigger now looks once, over the
-- statement's lines, for the (resident, day) pairs not yet known, and runs 0015's steps
-- only for those, earliest day first (usually none: a resident's first line of the day).
-- The rows it keeps are the same.
DROP TRIGGER transcript_lines_report ON transcript_lines;
CREATE OR REPLACE FUNCTION transcript_lines_report() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who TEXT;
    d TEXT;
BEGIN
    FOR who, d IN
        SELECT DISTINCT n.user_id, to_char(n.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
        FROM new_rows n
        WHERE n.direction = 'in' AND NOT EXISTS (
            SELECT 1 FROM report_residents r
            WHERE r.user_id = n.user_id
              AND r.day = to_char(n.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))
        ORDER BY 1, 2
    LOOP
        UPDATE report_residents SET prev_day = d
            WHERE user_id = who AND day = (
                SELECT MIN(day) FROM report_residents WHERE user_id = who AND day > d);
        INSERT INTO report_residents (user_id, day, prev_day)
            VALUES (who, d, (
                SELECT MAX(day) FROM report_residents WHERE user_id = who AND day < d))
            ON CONFLICT (user_id, day) DO NOTHING;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER transcript_lines_report AFTER INSERT ON transcript_lines
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION transcript_lines_report();
