-- Failed sign-ins per desk user: after too many, the account is locked for a while, so a
-- password cannot be guessed at the speed of the network.
ALTER TABLE desk_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE desk_users ADD COLUMN locked_until TEXT;
