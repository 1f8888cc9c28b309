-- icomp schema v3 (Postgres), as storage/sqlitestore/migration/003: one
-- index in the ledger's canonical order replaces two. The key columns
-- compare byte-wise (COLLATE "C"), the order the digest uses, so the index
-- serves both equality lookups and the digest's ORDER BY.
DROP INDEX ledger_line_lookup;
DROP INDEX ledger_line_period;
ALTER TABLE ledger_line
    ALTER COLUMN period  TYPE TEXT COLLATE "C",
    ALTER COLUMN plan    TYPE TEXT COLLATE "C",
    ALTER COLUMN person  TYPE TEXT COLLATE "C",
    ALTER COLUMN ledger  TYPE TEXT COLLATE "C",
    ALTER COLUMN subject TYPE TEXT COLLATE "C";
CREATE INDEX ledger_line_chain ON ledger_line (period, plan, person, ledger, subject, seq);
