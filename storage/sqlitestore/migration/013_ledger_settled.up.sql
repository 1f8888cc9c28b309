-- icomp schema v13 (SQLite), as storage/pgstore/migration/013: an index of
-- the settlement ledgers' lines by period and person. Settlement reads its
-- people's payable and balance lines of a period, and finds who has any;
-- ledger_line_chain leads with (period, plan), and those reads name no
-- plan, so each of them walked every line of the period (for each
-- settlement batch: a cost that grew with the square of the people). Only
-- payable and balance lines enter the index, so posting a plan's lines
-- costs nothing more. Queries name the ledger as a literal, which a
-- partial index needs to be usable.
CREATE INDEX ledger_line_settled ON ledger_line (period, ledger, person) WHERE ledger = 'payable' OR ledger = 'balance';
