-- PostgreSQL's durability barrier needs no table: a transaction that takes an id and
-- commits with synchronous_commit = on waits for the flush of everything before it
-- (storage::postgres::sync). This file keeps the backends' migration numbers aligned.
SELECT 1;
