-- icomp schema v8 (SQLite): MBO scores, per person, period and objective,
-- versioned: a changed score is a new version (seq), an identical one a
-- no-op, so every score a run read stays on record.
CREATE TABLE mbo_score (
    person    TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    objective TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    score     TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    PRIMARY KEY (person, period, objective, seq)
);
CREATE INDEX mbo_score_period ON mbo_score (period, person);
CREATE TRIGGER mbo_score_no_update BEFORE UPDATE ON mbo_score
BEGIN SELECT RAISE(ABORT, 'MBO scores are append-only: import the new score'); END;
CREATE TRIGGER mbo_score_no_delete BEFORE DELETE ON mbo_score
BEGIN SELECT RAISE(ABORT, 'MBO scores are append-only: import the new score'); END;
