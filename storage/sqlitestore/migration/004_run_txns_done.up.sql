-- icomp schema v4: a run counts the transactions its finished batches
-- read, for progress in transactions per second.
ALTER TABLE run ADD COLUMN txns_done INTEGER NOT NULL DEFAULT 0;
