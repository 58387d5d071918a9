-- What a turn needs at its start, in one round trip instead of four: the resident's turn
-- lock (the session advisory lock `pg_advisory_lock` took alone before), then, read after
-- the lock is held (each query of a VOLATILE function takes a snapshot of its own), the
-- conversation, the resident's open handoff and whether anything waits to be told: held
-- notices, settled outbox items.
CREATE FUNCTION heatdesk_turn_start(lock_class INTEGER, resident TEXT)
RETURNS TABLE (found BOOLEAN, state TEXT, version BIGINT, updated_at TIMESTAMPTZ,
               last_message TEXT, last_outcome TEXT, handoff_id BIGINT,
               handoff_claimed BOOLEAN, notices_held BOOLEAN, outbox_settled BOOLEAN)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_lock(lock_class, hashtext(resident));
    RETURN QUERY
    SELECT c.user_id IS NOT NULL, c.state, c.version, c.updated_at, c.last_message,
           c.last_outcome, h.id, h.status = 'claimed',
           EXISTS (SELECT 1 FROM notices n WHERE n.user_id = resident AND n.status = 'held'),
           EXISTS (SELECT 1 FROM outbox o
                   WHERE o.owner = resident AND o.state <> 'pending' AND o.reported = 0)
    FROM (SELECT 1) AS one
    LEFT JOIN conversations c ON c.user_id = resident
    LEFT JOIN handoffs h ON h.user_id = resident AND h.status <> 'closed';
END
$$;
