-- Published phrasebook versions and the log of classified messages.
CREATE TABLE publications (
    version      TEXT PRIMARY KEY,
    entries      INTEGER NOT NULL,
    published_at TEXT NOT NULL
);

CREATE TABLE classifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    channel         TEXT NOT NULL,
    text_masked     TEXT NOT NULL,
    intent          TEXT NOT NULL,
    entry           TEXT,
    confidence      REAL NOT NULL,
    decision        TEXT NOT NULL,
    latency_us      INTEGER NOT NULL,
    catalog_version TEXT NOT NULL
);
CREATE INDEX classifications_at ON classifications (at);
CREATE INDEX classifications_decision ON classifications (decision, at);
