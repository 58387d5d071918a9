-- Turn locks in batches, on one connection per instance: the locks of the turns that
-- ended are released and those of the turns that start are tried, in one round trip for
-- every turn queued at that moment, instead of a lock and an unlock statement per turn on
-- a connection each. A lock another instance holds is not waited for here (a batch must
-- not wait for one resident): that turn waits for it alone (`heatdesk_turn_start`).
-- What a turn reads first is read after all of the batch's locks are taken, as in
-- `heatdesk_turn_start`.
CREATE FUNCTION heatdesk_turns(lock_class INTEGER, done TEXT[], wanted TEXT[])
RETURNS TABLE (resident TEXT, taken BOOLEAN, found BOOLEAN, state TEXT, version BIGINT,
               updated_at TIMESTAMPTZ, last_message TEXT, last_outcome TEXT,
               handoff_id BIGINT, handoff_claimed BOOLEAN, notices_held BOOLEAN,
               outbox_settled BOOLEAN)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    one TEXT;
    got TEXT[] := '{}';
BEGIN
    FOREACH one IN ARRAY done LOOP
        PERFORM pg_advisory_unlock(lock_class, hashtext(one));
    END LOOP;
    FOREACH one IN ARRAY wanted LOOP
        IF pg_try_advisory_lock(lock_class, hashtext(one)) THEN
            got := got || one;
        END IF;
    END LOOP;
    RETURN QUERY
    SELECT w.who, w.who = ANY (got), c.user_id IS NOT NULL, c.state, c.version,
           c.updated_at, c.last_message, c.last_outcome, h.id, h.status = 'claimed',
           w.who = ANY (got) AND EXISTS (SELECT 1 FROM notices n
                                          WHERE n.user_id = w.who AND n.status = 'held'),
           w.who = ANY (got) AND EXISTS (SELECT 1 FROM outbox o
                                          WHERE o.owner = w.who AND o.state <> 'pending'
                                          AND o.reported = 0)
    FROM unnest(wanted) AS w(who)
    LEFT JOIN conversations c ON c.user_id = w.who AND w.who = ANY (got)
    LEFT JOIN handoffs h ON h.user_id = w.who AND h.status <> 'closed' AND w.who = ANY (got);
END
$$;
