-- icomp schema v13 (SQLite), as storage/pgstore/migration/013: two
-- indexes for reads a run makes.
--
-- The settlement ledgers' lines by period and person. Settlement reads its
-- people's payable and balance lines of a period, and whether a period has
-- any; ledger_line_chain leads with (period, plan) and those reads name no
-- plan, so each of them walked every line of the period (once per
-- settlement batch: a cost that grew with the square of the people). Only
-- payable and balance lines enter this index, so posting a plan's lines
-- costs nothing more. Queries name these ledgers by a literal, which a
-- partial index needs to be usable.
CREATE INDEX ledger_line_settled ON ledger_line (period, ledger, person) WHERE ledger = 'payable' OR ledger = 'balance';

-- line_trace by run: sealing a run reads the traces it stored, and
-- line_trace's key leads with line_key, so each seal read every trace
-- ever stored: a cost that grew with the workspace's age.
CREATE INDEX line_trace_run ON line_trace (run_id);
