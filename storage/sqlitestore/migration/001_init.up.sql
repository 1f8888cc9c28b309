-- icomp schema v1 (SQLite). Money is exact decimal text, never REAL.
CREATE TABLE person_version (
    id               TEXT    NOT NULL,
    effective_from   TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    hash             TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    role             TEXT    NOT NULL DEFAULT '',
    territory        TEXT    NOT NULL DEFAULT '',
    manager          TEXT    NOT NULL DEFAULT '',
    currency         TEXT    NOT NULL DEFAULT '',
    hire_date        TEXT    NOT NULL DEFAULT '',
    termination_date TEXT    NOT NULL DEFAULT '',
    plans            TEXT    NOT NULL DEFAULT '',
    attrs            TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (id, effective_from, seq)
);

-- txn holds the current version of each transaction; txn_version the
-- versions it superseded.
CREATE TABLE txn (
    id        TEXT    NOT NULL PRIMARY KEY,
    version   INTEGER NOT NULL,
    hash      TEXT    NOT NULL,
    date      TEXT    NOT NULL,
    type      TEXT    NOT NULL DEFAULT '',
    owner     TEXT    NOT NULL DEFAULT '',
    territory TEXT    NOT NULL DEFAULT '',
    product   TEXT    NOT NULL DEFAULT '',
    amount    TEXT    NOT NULL,
    currency  TEXT    NOT NULL,
    splits    TEXT    NOT NULL DEFAULT '',
    attrs     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX txn_owner_date ON txn (owner, date);
CREATE INDEX txn_territory_date ON txn (territory, date);

CREATE TABLE txn_version (
    id        TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    hash      TEXT    NOT NULL,
    date      TEXT    NOT NULL,
    type      TEXT    NOT NULL DEFAULT '',
    owner     TEXT    NOT NULL DEFAULT '',
    territory TEXT    NOT NULL DEFAULT '',
    product   TEXT    NOT NULL DEFAULT '',
    amount    TEXT    NOT NULL,
    currency  TEXT    NOT NULL,
    splits    TEXT    NOT NULL DEFAULT '',
    attrs     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (id, version)
);

CREATE TABLE txn_split (
    txn_id TEXT NOT NULL,
    person TEXT NOT NULL,
    PRIMARY KEY (person, txn_id)
);

CREATE TABLE plan_version (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    hash    TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    version TEXT NOT NULL,
    file    TEXT NOT NULL,
    source  TEXT NOT NULL
);

-- active_period is the period while the run is in progress and NULL after:
-- the unique index lets one run per period be in progress.
CREATE TABLE run (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    period        TEXT    NOT NULL,
    active_period TEXT UNIQUE,
    status        TEXT    NOT NULL,
    batch_size    INTEGER NOT NULL,
    batches       INTEGER NOT NULL,
    batches_done  INTEGER NOT NULL,
    plans         TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    error         TEXT    NOT NULL,
    lines         INTEGER NOT NULL
);

-- The credit, attainment and payout ledgers: append-only.
CREATE TABLE ledger_line (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    ledger     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    supersedes TEXT    NOT NULL,
    run_id     INTEGER NOT NULL,
    plan       TEXT    NOT NULL,
    plan_hash  TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    person     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    detail     TEXT    NOT NULL
);
CREATE INDEX ledger_line_lookup ON ledger_line (plan, period, person);
CREATE INDEX ledger_line_period ON ledger_line (period, ledger);

CREATE TRIGGER ledger_line_no_update BEFORE UPDATE ON ledger_line
BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only: post a reversal instead'); END;
CREATE TRIGGER ledger_line_no_delete BEFORE DELETE ON ledger_line
BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only: post a reversal instead'); END;

CREATE TABLE export (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    period   TEXT    NOT NULL,
    pay_date TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    csv      TEXT    NOT NULL,
    lines    INTEGER NOT NULL
);

-- A payout line is exported at most once: never paid twice.
CREATE TABLE export_line (
    export_id INTEGER NOT NULL,
    line_key  TEXT    NOT NULL PRIMARY KEY
);
