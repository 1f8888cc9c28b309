-- icomp schema v1 (Postgres). Mirrors storage/sqlitestore/migration/001;
-- money is NUMERIC, never floating point.
CREATE TABLE person_version (
    id               TEXT    NOT NULL,
    effective_from   TEXT    NOT NULL,
    seq              BIGINT  NOT NULL,
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

CREATE TABLE txn (
    id        TEXT    NOT NULL PRIMARY KEY,
    version   BIGINT  NOT NULL,
    hash      TEXT    NOT NULL,
    date      TEXT    NOT NULL,
    type      TEXT    NOT NULL DEFAULT '',
    owner     TEXT    NOT NULL DEFAULT '',
    territory TEXT    NOT NULL DEFAULT '',
    product   TEXT    NOT NULL DEFAULT '',
    amount    NUMERIC NOT NULL,
    currency  TEXT    NOT NULL,
    splits    TEXT    NOT NULL DEFAULT '',
    attrs     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX txn_owner_date ON txn (owner, date);
CREATE INDEX txn_territory_date ON txn (territory, date);

CREATE TABLE txn_version (
    id        TEXT    NOT NULL,
    version   BIGINT  NOT NULL,
    hash      TEXT    NOT NULL,
    date      TEXT    NOT NULL,
    type      TEXT    NOT NULL DEFAULT '',
    owner     TEXT    NOT NULL DEFAULT '',
    territory TEXT    NOT NULL DEFAULT '',
    product   TEXT    NOT NULL DEFAULT '',
    amount    NUMERIC NOT NULL,
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
    seq     BIGSERIAL PRIMARY KEY,
    hash    TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    version TEXT NOT NULL,
    file    TEXT NOT NULL,
    source  TEXT NOT NULL
);

CREATE TABLE run (
    id            BIGSERIAL PRIMARY KEY,
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

CREATE TABLE ledger_line (
    seq        BIGSERIAL PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    ledger     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    supersedes TEXT    NOT NULL,
    run_id     BIGINT  NOT NULL,
    plan       TEXT    NOT NULL,
    plan_hash  TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    person     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    amount     NUMERIC NOT NULL,
    detail     TEXT    NOT NULL
);
CREATE INDEX ledger_line_lookup ON ledger_line (plan, period, person);
CREATE INDEX ledger_line_period ON ledger_line (period, ledger);

-- The database guards the ledger: posted lines are never updated or deleted.
CREATE FUNCTION ledger_line_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger lines are append-only: post a reversal instead';
END;
$$;
CREATE TRIGGER ledger_line_no_update BEFORE UPDATE OR DELETE ON ledger_line
    FOR EACH ROW EXECUTE FUNCTION ledger_line_append_only();
CREATE TRIGGER ledger_line_no_truncate BEFORE TRUNCATE ON ledger_line
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_line_append_only();

CREATE TABLE export (
    id       BIGSERIAL PRIMARY KEY,
    period   TEXT    NOT NULL,
    pay_date TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    csv      TEXT    NOT NULL,
    lines    INTEGER NOT NULL
);

CREATE TABLE export_line (
    export_id BIGINT NOT NULL,
    line_key  TEXT   NOT NULL PRIMARY KEY
);
