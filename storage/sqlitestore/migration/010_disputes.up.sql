-- icomp schema v10 (SQLite): disputes (docs/disputes.md). A dispute is a
-- rep's challenge of one statement line (plan and subject: the ledger
-- line's logical key with person and period) or of a missing deal (txn).
-- Its state is its newest event: opened, in_review, resolved. Both tables
-- are append-only; a transition is a new dispute_event row, never an
-- UPDATE, and (dispute_id, seq) makes two racing transitions of one
-- dispute conflict.
CREATE TABLE dispute (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    person    TEXT NOT NULL,
    period    TEXT NOT NULL,
    plan      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    txn       TEXT NOT NULL,
    text      TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL
);
CREATE INDEX dispute_person ON dispute (person, period);
CREATE TRIGGER dispute_no_update BEFORE UPDATE ON dispute
BEGIN SELECT RAISE(ABORT, 'disputes are append-only: record a dispute event'); END;
CREATE TRIGGER dispute_no_delete BEFORE DELETE ON dispute
BEGIN SELECT RAISE(ABORT, 'disputes are append-only: record a dispute event'); END;

-- resolution is adjusted or rejected on a resolved event, else empty;
-- adjustment_id is the adjustment an adjusted resolution posted (0: none).
CREATE TABLE dispute_event (
    dispute_id    INTEGER NOT NULL REFERENCES dispute (id),
    seq           INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    resolution    TEXT    NOT NULL,
    note          TEXT    NOT NULL,
    adjustment_id INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);
CREATE TRIGGER dispute_event_no_update BEFORE UPDATE ON dispute_event
BEGIN SELECT RAISE(ABORT, 'dispute history is append-only'); END;
CREATE TRIGGER dispute_event_no_delete BEFORE DELETE ON dispute_event
BEGIN SELECT RAISE(ABORT, 'dispute history is append-only'); END;
