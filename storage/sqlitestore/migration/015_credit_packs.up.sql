-- icomp schema v15 (SQLite), as storage/pgstore/migration/015: a credit
-- summary line's deal-level credits in one row (docs/lifecycle.md).
--
-- credit held one row per credit, with an index on its line key: a
-- million credits cost a million table rows and index entries per run.
-- Now it holds one row per credit summary line: the line's key, the
-- credited transactions as a JSON array (txns), and the credits' other
-- fields as a JSON object of columns (credits), each an array of strings
-- in the same order, the credits' canonical one (transaction, then rule):
--   txns     ["T1",…]
--   credits  {"txn_hash":[…],"rule":[…],"date":[…],"type":[…],"share":[…],"amount":[…]}
-- share and amount are exact decimal strings. Read them in SQL with
-- json_each(txns), json_each(credits, '$.amount') and the like.
ALTER TABLE credit RENAME TO credit_v7;
CREATE TABLE credit (
    line_key TEXT NOT NULL PRIMARY KEY,
    txns     TEXT NOT NULL,
    credits  TEXT NOT NULL
);
INSERT INTO credit (line_key, txns, credits)
SELECT line_key, json_group_array(txn ORDER BY txn, rule), json_object(
        'txn_hash', json_group_array(txn_hash ORDER BY txn, rule),
        'rule',     json_group_array(rule     ORDER BY txn, rule),
        'date',     json_group_array(date     ORDER BY txn, rule),
        'type',     json_group_array(type     ORDER BY txn, rule),
        'share',    json_group_array(CAST(share  AS TEXT) ORDER BY txn, rule),
        'amount',   json_group_array(CAST(amount AS TEXT) ORDER BY txn, rule))
FROM credit_v7 GROUP BY line_key;
DROP TABLE credit_v7;
CREATE TRIGGER credit_no_update BEFORE UPDATE ON credit
BEGIN SELECT RAISE(ABORT, 'credits are append-only'); END;
CREATE TRIGGER credit_no_delete BEFORE DELETE ON credit
BEGIN SELECT RAISE(ABORT, 'credits are append-only'); END;
