-- icomp schema v5: each batch of a run is posted once (run_batch), and a
-- ledger chain cannot fork: a line is superseded by at most one line.
CREATE TABLE run_batch (
    run_id BIGINT  NOT NULL,
    idx    INTEGER NOT NULL,
    PRIMARY KEY (run_id, idx)
);
CREATE UNIQUE INDEX ledger_line_supersedes ON ledger_line (supersedes) WHERE supersedes <> '';
