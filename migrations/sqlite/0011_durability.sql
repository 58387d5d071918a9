-- The durability barrier: the database runs with synchronous = NORMAL (a commit is not
-- flushed), and a turn that tells a resident something was done waits for one commit of
-- this row with synchronous = FULL, whose flush of the write-ahead log makes every earlier
-- commit durable too. See storage::sqlite::Barrier.
CREATE TABLE durability (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO durability (id, n) VALUES (1, 0);
