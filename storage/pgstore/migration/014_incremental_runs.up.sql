-- icomp schema v14 (Postgres), as storage/sqlitestore/migration/014: what an
-- incremental re-run reads (docs/lifecycle.md, "Incremental re-runs").
--
-- input_change is the change sequence of a run's inputs: each import,
-- adjustment or publication appends what it changed (a transaction or
-- person id, a person's adjustment or score, or that a whole kind of
-- input changed). A run records the newest seq it read; a re-run of the
-- period recomputes only the people the changes since then reach.
CREATE TABLE input_change (
    seq  BIGSERIAL PRIMARY KEY,
    kind TEXT    NOT NULL,
    ref  TEXT    NOT NULL DEFAULT ''
);
-- Runs before this schema recorded no seq (input_seq 0): none of them is
-- a re-run's base, since this first entry follows all of them.
INSERT INTO input_change (kind, ref) VALUES ('schema', '14');

-- input_seq is the newest change the run read; scope, for an
-- incremental run, the people it recomputed and why (JSON), '' for a
-- full run.
ALTER TABLE run ADD COLUMN input_seq BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE run ADD COLUMN scope     TEXT    NOT NULL DEFAULT '';

-- A period's digest (ledger.Digest) is a sum over its lines: each insert
-- of lines appends the sum of its lines per period here, so that a run's
-- end reads a few rows instead of the whole period. The parts are trusted
-- only while their line count equals the period's (lines posted before
-- this schema have no part: the digest is then computed from the lines).
CREATE TABLE ledger_digest_part (
    id     BIGSERIAL PRIMARY KEY,
    period TEXT    NOT NULL,
    sum    TEXT    NOT NULL,
    lines  BIGINT  NOT NULL
);
CREATE INDEX ledger_digest_part_period ON ledger_digest_part (period);
