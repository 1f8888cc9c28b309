-- icomp schema v8 (Postgres): MBO scores, per person, period and
-- objective, versioned: a changed score is a new version (seq), an
-- identical one a no-op, so every score a run read stays on record.
CREATE TABLE mbo_score (
    person    TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    objective TEXT    NOT NULL,
    seq       BIGINT  NOT NULL,
    score     NUMERIC NOT NULL,
    source    TEXT    NOT NULL,
    PRIMARY KEY (person, period, objective, seq)
);
CREATE INDEX mbo_score_period ON mbo_score (period, person);
CREATE TRIGGER mbo_score_append_only BEFORE UPDATE OR DELETE ON mbo_score FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER mbo_score_no_truncate BEFORE TRUNCATE ON mbo_score FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
