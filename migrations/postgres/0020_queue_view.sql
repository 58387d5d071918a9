-- The desk's queue page, read by every agent on every change: the open handoffs in the
-- queue's order, with what a card and the counts need, from the index alone. The page's
-- first cards are the index's first entries instead of a sort of every open handoff, each
-- looked up in the table. Handoffs change state rarely beside the messages that fill
-- transcripts, so keeping it costs little.
CREATE INDEX handoffs_open_queue ON handoffs
    (priority DESC, created_at, id, status, claimed_by, user_id, reason, intent, confidence)
    WHERE status <> 'closed';
