-- The office curates the phrasebook: published versions (immutable documents), change sets
-- of edits under review, questions the office labelled (the gate's test set), feedback on
-- answers, dismissed inbox questions, and the audit log.
CREATE TABLE phrasebook_versions (
    number          INTEGER PRIMARY KEY,
    digest          TEXT NOT NULL,
    doc             TEXT NOT NULL,
    author          TEXT NOT NULL,
    reviewer        TEXT,
    summary         TEXT NOT NULL,
    override_reason TEXT,
    changeset_id    INTEGER,
    gate            TEXT,
    published_at    TEXT NOT NULL
);

CREATE TABLE office_changesets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    author            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN
                        ('draft', 'review', 'approved', 'published', 'returned', 'withdrawn')),
    summary           TEXT NOT NULL DEFAULT '',
    comment           TEXT,
    reviewer          TEXT,
    gate              TEXT,
    published_version INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX office_changesets_status ON office_changesets (status, updated_at);

CREATE TABLE office_edits (
    changeset_id INTEGER NOT NULL REFERENCES office_changesets (id),
    subject      TEXT NOT NULL,
    body         TEXT,
    base         TEXT NOT NULL,
    author       TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (changeset_id, subject)
);
CREATE INDEX office_edits_subject ON office_edits (subject);

CREATE TABLE office_labels (
    key        TEXT PRIMARY KEY,
    text       TEXT NOT NULL,
    intent     TEXT NOT NULL,
    source     TEXT NOT NULL,
    labelled_by TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE TABLE office_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text_masked TEXT NOT NULL,
    intent      TEXT,
    entry       TEXT,
    reported_by TEXT
);
CREATE INDEX office_feedback_at ON office_feedback (at);

CREATE TABLE office_dismissed (
    key          TEXT PRIMARY KEY,
    dismissed_by TEXT NOT NULL,
    at           TEXT NOT NULL
);

CREATE TABLE office_audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    before  TEXT,
    after   TEXT,
    reason  TEXT
);
CREATE INDEX office_audit_at ON office_audit (at);
