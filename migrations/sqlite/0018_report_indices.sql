-- The reports over a year of a large utility (a million classified messages, 100,000
-- residents) in well under a second, measured with `heatdesk demo generate`:
--
-- the residents who wrote in a period, narrowed to a district, read the OpenID from the
-- index instead of the table, row by row;
DROP INDEX report_residents_day;
CREATE INDEX report_residents_day ON report_residents (day, prev_day, user_id);
-- a district's residents (every district filter) listed from indices alone;
CREATE INDEX accounts_district ON accounts (district, no);
DROP INDEX bindings_account;
CREATE INDEX bindings_account ON bindings (account_no, user_id);
-- an agent's first answer after taking a conversation over: only agents' lines, by
-- resident and time, instead of every line of the resident's.
CREATE INDEX transcript_lines_agent ON transcript_lines (user_id, at)
    WHERE direction = 'out' AND author IS NOT NULL;
-- the transactions started in a period and how they ended, from the index alone (it
-- replaces the index on the start only).
DROP INDEX form_runs_started;
CREATE INDEX form_runs_started ON form_runs (started_at, action, outcome, updated_at, step, user_id);
