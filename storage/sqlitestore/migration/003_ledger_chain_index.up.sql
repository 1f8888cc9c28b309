-- icomp schema v3 (SQLite): one index in the ledger's canonical order
-- (period, plan, person, ledger, subject, seq) serves both a batch's read
-- of its people's posted lines and the digest, which then needs no sort;
-- it replaces two indexes that every appended line had to update.
DROP INDEX ledger_line_lookup;
DROP INDEX ledger_line_period;
CREATE INDEX ledger_line_chain ON ledger_line (period, plan, person, ledger, subject, seq);
