-- A claim on a push holds a lease that its instance renews while it works: a retry that
-- finds the lease run out knows the instance died and handles the push itself.
ALTER TABLE wechat_dedup ADD COLUMN lease_until BIGINT;

-- The message a conversation's last turn answered and what it answered, written in the
-- same statement as the state, so a retry of that message gets the same answer instead of
-- running the turn again on the state it left.
ALTER TABLE conversations ADD COLUMN last_message TEXT;
ALTER TABLE conversations ADD COLUMN last_outcome TEXT;
