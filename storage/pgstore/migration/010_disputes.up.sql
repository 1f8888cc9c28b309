-- icomp schema v10 (Postgres): disputes (docs/disputes.md). See the SQLite
-- migration for the reasons. Both tables are append-only.
CREATE TABLE dispute (
    id        BIGSERIAL PRIMARY KEY,
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

CREATE TABLE dispute_event (
    dispute_id    BIGINT  NOT NULL REFERENCES dispute (id),
    seq           INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    resolution    TEXT    NOT NULL,
    note          TEXT    NOT NULL,
    adjustment_id BIGINT  NOT NULL,
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);

CREATE TRIGGER dispute_append_only BEFORE UPDATE OR DELETE ON dispute FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER dispute_no_truncate BEFORE TRUNCATE ON dispute FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER dispute_event_append_only BEFORE UPDATE OR DELETE ON dispute_event FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER dispute_event_no_truncate BEFORE TRUNCATE ON dispute_event FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
