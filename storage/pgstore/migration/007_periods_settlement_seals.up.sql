-- icomp schema v7 (Postgres): the period lifecycle, earned vs posted
-- periods, deal-level credits beside the ledger, adjustments, payroll
-- batches and the seal chain. See the SQLite migration for the reasons.
ALTER TABLE ledger_line
    ADD COLUMN posted_period TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN currency      TEXT NOT NULL DEFAULT '',
    ADD COLUMN earning_code  TEXT NOT NULL DEFAULT '',
    ADD COLUMN basis         TEXT NOT NULL DEFAULT '',
    ADD COLUMN reason        TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_line DISABLE TRIGGER ledger_line_no_update;
UPDATE ledger_line SET posted_period = period,
    currency     = CASE WHEN ledger = 'payout' THEN COALESCE(detail::jsonb->>'currency', '') ELSE '' END,
    earning_code = CASE WHEN ledger = 'payout' THEN COALESCE(detail::jsonb->>'earning_code', '') ELSE '' END;
ALTER TABLE ledger_line ENABLE TRIGGER ledger_line_no_update;
CREATE INDEX ledger_line_posted ON ledger_line (posted_period, ledger);
CREATE INDEX ledger_line_run ON ledger_line (run_id, seq);

CREATE TABLE setting (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE period (
    label          TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    frequency      TEXT    NOT NULL,
    fiscal_year    INTEGER NOT NULL,
    start_date     TEXT    NOT NULL,
    end_date       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    needs_rerun    TEXT    NOT NULL DEFAULT '',
    calculated_run BIGINT  NOT NULL DEFAULT 0,
    approved_by    TEXT    NOT NULL DEFAULT '',
    approved_at    TEXT    NOT NULL DEFAULT '',
    closed_by      TEXT    NOT NULL DEFAULT '',
    closed_at      TEXT    NOT NULL DEFAULT ''
);
CREATE FUNCTION period_closed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'periods are never deleted';
    END IF;
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'period % is closed: nothing in it changes', OLD.label;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER period_closed_is_final BEFORE UPDATE OR DELETE ON period
    FOR EACH ROW EXECUTE FUNCTION period_closed_is_final();
CREATE TRIGGER period_no_truncate BEFORE TRUNCATE ON period
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_line_append_only();

-- Refuses any insert (COPY included) of a line posted into a closed
-- period: one check per statement, over the statement's new rows.
CREATE FUNCTION ledger_line_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed TEXT;
BEGIN
    SELECT n.posted_period INTO closed FROM new_lines n
        JOIN period p ON p.label = n.posted_period AND p.status = 'closed' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'period % is closed: nothing can be posted into it', closed;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_line_closed_period AFTER INSERT ON ledger_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_line_open_period();

CREATE FUNCTION icomp_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TABLE credit (
    line_key TEXT    NOT NULL,
    txn      TEXT    NOT NULL,
    txn_hash TEXT    NOT NULL,
    rule     TEXT    NOT NULL,
    date     TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    share    NUMERIC NOT NULL,
    amount   NUMERIC NOT NULL
);
CREATE INDEX credit_line ON credit (line_key);

CREATE TABLE adjustment (
    id           BIGSERIAL PRIMARY KEY,
    person       TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    amount       NUMERIC NOT NULL,
    currency     TEXT    NOT NULL,
    earning_code TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    source       TEXT    NOT NULL
);
CREATE INDEX adjustment_period ON adjustment (period, person);

ALTER TABLE export ADD COLUMN created_at TEXT NOT NULL DEFAULT '';

CREATE TABLE seal (
    seq     BIGSERIAL PRIMARY KEY,
    kind    TEXT    NOT NULL,
    ref     BIGINT  NOT NULL,
    rows    INTEGER NOT NULL,
    content TEXT    NOT NULL,
    prev    TEXT    NOT NULL,
    hash    TEXT    NOT NULL,
    UNIQUE (kind, ref)
);
-- One link after each: two seals written at once cannot fork the chain
-- (the second fails and is retried after the first).
CREATE UNIQUE INDEX seal_prev ON seal (prev);

CREATE TRIGGER credit_append_only BEFORE UPDATE OR DELETE ON credit FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER credit_no_truncate BEFORE TRUNCATE ON credit FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER adjustment_append_only BEFORE UPDATE OR DELETE ON adjustment FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER adjustment_no_truncate BEFORE TRUNCATE ON adjustment FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER export_append_only BEFORE UPDATE OR DELETE ON export FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER export_no_truncate BEFORE TRUNCATE ON export FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER export_line_append_only BEFORE UPDATE OR DELETE ON export_line FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER export_line_no_truncate BEFORE TRUNCATE ON export_line FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER seal_append_only BEFORE UPDATE OR DELETE ON seal FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER seal_no_truncate BEFORE TRUNCATE ON seal FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();

ALTER TABLE run
    ADD COLUMN posted_period TEXT NOT NULL DEFAULT '',
    ADD COLUMN inputs        TEXT NOT NULL DEFAULT '',
    ADD COLUMN started_at    TEXT NOT NULL DEFAULT '',
    ADD COLUMN finished_at   TEXT NOT NULL DEFAULT '',
    ADD COLUMN policies      TEXT NOT NULL DEFAULT '';
UPDATE run SET posted_period = period;

CREATE TABLE import_batch (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    inserted   INTEGER NOT NULL,
    changed    INTEGER NOT NULL,
    unchanged  INTEGER NOT NULL,
    created_at TEXT    NOT NULL
);

-- A line's trace sits beside it (see the SQLite migration).
CREATE TABLE line_trace (
    line_key TEXT   NOT NULL,
    run_id   BIGINT NOT NULL,
    detail   TEXT   NOT NULL,
    PRIMARY KEY (line_key, run_id)
);
CREATE TRIGGER line_trace_append_only BEFORE UPDATE OR DELETE ON line_trace FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER line_trace_no_truncate BEFORE TRUNCATE ON line_trace FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
