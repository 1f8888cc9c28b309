-- icomp schema v6: a run remembers whether it was limited to one plan; a
-- run of every plan also reverses the lines of plans no longer in effect.
ALTER TABLE run ADD COLUMN plan_filter TEXT NOT NULL DEFAULT '';
