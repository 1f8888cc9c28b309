-- icomp schema v7 (SQLite): the period lifecycle, earned vs posted
-- periods, deal-level credits beside the ledger, adjustments, payroll
-- batches and the seal chain.

-- Ledger lines record the period they were posted in (a prior-period
-- adjustment is earned in a closed period and posted in an open one),
-- their currency and earning code as columns, their basis (what the
-- amount rests on: part of the identity) and why they were posted.
ALTER TABLE ledger_line ADD COLUMN posted_period TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_line ADD COLUMN currency      TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_line ADD COLUMN earning_code  TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_line ADD COLUMN basis         TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_line ADD COLUMN reason        TEXT NOT NULL DEFAULT '';
DROP TRIGGER ledger_line_no_update;
UPDATE ledger_line SET posted_period = period,
    currency     = CASE WHEN ledger = 'payout' THEN COALESCE(json_extract(detail, '$.currency'), '') ELSE '' END,
    earning_code = CASE WHEN ledger = 'payout' THEN COALESCE(json_extract(detail, '$.earning_code'), '') ELSE '' END;
CREATE TRIGGER ledger_line_no_update BEFORE UPDATE ON ledger_line
BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only: post a reversal instead'); END;
CREATE INDEX ledger_line_posted ON ledger_line (posted_period, ledger);
CREATE INDEX ledger_line_run ON ledger_line (run_id, seq);

-- Workspace settings: the company calendar's fiscal_year_start.
CREATE TABLE setting (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- A period of the company calendar that has been run or had its status
-- changed: open -> calculated -> approved -> closed. A closed period is
-- frozen: its row cannot change and nothing is posted into it.
CREATE TABLE period (
    label          TEXT    NOT NULL PRIMARY KEY,
    frequency      TEXT    NOT NULL,
    fiscal_year    INTEGER NOT NULL,
    start_date     TEXT    NOT NULL,
    end_date       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    needs_rerun    TEXT    NOT NULL DEFAULT '',
    calculated_run INTEGER NOT NULL DEFAULT 0,
    approved_by    TEXT    NOT NULL DEFAULT '',
    approved_at    TEXT    NOT NULL DEFAULT '',
    closed_by      TEXT    NOT NULL DEFAULT '',
    closed_at      TEXT    NOT NULL DEFAULT ''
);
CREATE TRIGGER period_closed_is_final BEFORE UPDATE ON period WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'the period is closed: nothing in it changes'); END;
CREATE TRIGGER period_no_delete BEFORE DELETE ON period
BEGIN SELECT RAISE(ABORT, 'periods are never deleted'); END;
CREATE TRIGGER ledger_line_closed_period BEFORE INSERT ON ledger_line
WHEN EXISTS (SELECT 1 FROM period WHERE label = NEW.posted_period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'the period is closed: nothing can be posted into it'); END;

-- Deal-level credits, beside the credit summary line (line_key) they sum to.
CREATE TABLE credit (
    line_key TEXT NOT NULL,
    txn      TEXT NOT NULL,
    txn_hash TEXT NOT NULL,
    rule     TEXT NOT NULL,
    date     TEXT NOT NULL,
    type     TEXT NOT NULL,
    share    TEXT NOT NULL,
    amount   TEXT NOT NULL
);
CREATE INDEX credit_line ON credit (line_key);
CREATE TRIGGER credit_no_update BEFORE UPDATE ON credit
BEGIN SELECT RAISE(ABORT, 'credits are append-only'); END;
CREATE TRIGGER credit_no_delete BEFORE DELETE ON credit
BEGIN SELECT RAISE(ABORT, 'credits are append-only'); END;

-- Adjustments are inputs: settlement turns each into a payable line.
CREATE TABLE adjustment (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person       TEXT NOT NULL,
    period       TEXT NOT NULL,
    amount       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    earning_code TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    source       TEXT NOT NULL
);
CREATE INDEX adjustment_period ON adjustment (period, person);
CREATE TRIGGER adjustment_no_update BEFORE UPDATE ON adjustment
BEGIN SELECT RAISE(ABORT, 'adjustments are append-only: add a correcting adjustment'); END;
CREATE TRIGGER adjustment_no_delete BEFORE DELETE ON adjustment
BEGIN SELECT RAISE(ABORT, 'adjustments are append-only: add a correcting adjustment'); END;

-- Payroll batches are append-only like the ledger.
ALTER TABLE export ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
CREATE TRIGGER export_no_update BEFORE UPDATE ON export
BEGIN SELECT RAISE(ABORT, 'payroll batches are append-only'); END;
CREATE TRIGGER export_no_delete BEFORE DELETE ON export
BEGIN SELECT RAISE(ABORT, 'payroll batches are append-only'); END;
CREATE TRIGGER export_line_no_update BEFORE UPDATE ON export_line
BEGIN SELECT RAISE(ABORT, 'payroll batches are append-only'); END;
CREATE TRIGGER export_line_no_delete BEFORE DELETE ON export_line
BEGIN SELECT RAISE(ABORT, 'payroll batches are append-only'); END;

-- The seal chain: one link per finished run and per payroll batch.
CREATE TABLE seal (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL,
    ref     INTEGER NOT NULL,
    rows    INTEGER NOT NULL,
    content TEXT    NOT NULL,
    prev    TEXT    NOT NULL,
    hash    TEXT    NOT NULL,
    UNIQUE (kind, ref)
);
-- One link after each: two seals written at once cannot fork the chain
-- (the second fails and is retried after the first).
CREATE UNIQUE INDEX seal_prev ON seal (prev);
CREATE TRIGGER seal_no_update BEFORE UPDATE ON seal
BEGIN SELECT RAISE(ABORT, 'seals are append-only'); END;
CREATE TRIGGER seal_no_delete BEFORE DELETE ON seal
BEGIN SELECT RAISE(ABORT, 'seals are append-only'); END;

-- A run posts into posted_period (its own period, or the open period
-- after it when it is closed) and records what it read.
ALTER TABLE run ADD COLUMN posted_period TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN inputs        TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN started_at    TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN finished_at   TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN policies      TEXT NOT NULL DEFAULT '';
UPDATE run SET posted_period = period;

-- Every import is recorded; a run's inputs name the newest it read.
CREATE TABLE import_batch (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    inserted   INTEGER NOT NULL,
    changed    INTEGER NOT NULL,
    unchanged  INTEGER NOT NULL,
    created_at TEXT    NOT NULL
);

-- A line's trace sits beside it: when a re-run computes the same line
-- (same amount, currency, earning code and basis) with a different trace,
-- the new trace is appended here rather than the line re-posted. The
-- newest trace of a line is the one in force.
CREATE TABLE line_trace (
    line_key TEXT    NOT NULL,
    run_id   INTEGER NOT NULL,
    detail   TEXT    NOT NULL,
    PRIMARY KEY (line_key, run_id)
);
CREATE TRIGGER line_trace_no_update BEFORE UPDATE ON line_trace
BEGIN SELECT RAISE(ABORT, 'traces are append-only'); END;
CREATE TRIGGER line_trace_no_delete BEFORE DELETE ON line_trace
BEGIN SELECT RAISE(ABORT, 'traces are append-only'); END;
