-- icomp schema v15 (Postgres), as storage/sqlitestore/migration/015: a
-- credit summary line's deal-level credits in one row (docs/lifecycle.md).
--
-- credit held one row per credit, with an index on its line key: a
-- million credits cost a million table rows and index entries per run.
-- Now it holds one row per credit summary line: the line's key, the
-- credited transactions as a JSON array (txns), and the credits' other
-- fields as a JSON object of columns (credits), each an array of strings
-- in the same order, the credits' canonical one (transaction, then rule,
-- in byte order):
--   txns     ["T1",…]
--   credits  {"txn_hash":[…],"rule":[…],"date":[…],"type":[…],"share":[…],"amount":[…]}
-- share and amount are exact decimal strings. Read them in SQL with
-- json_array_elements_text(txns::json), json_array_elements_text(credits::json -> 'amount')
-- and the like.
-- Both are stored out of line uncompressed (STORAGE EXTERNAL): credits is
-- mostly hashes, which do not compress, and compressing would cost every
-- run CPU.
ALTER TABLE credit RENAME TO credit_v7;
CREATE TABLE credit (
    line_key TEXT NOT NULL PRIMARY KEY,
    txns     TEXT NOT NULL,
    credits  TEXT NOT NULL
);
ALTER TABLE credit ALTER COLUMN txns SET STORAGE EXTERNAL;
ALTER TABLE credit ALTER COLUMN credits SET STORAGE EXTERNAL;
INSERT INTO credit (line_key, txns, credits)
SELECT line_key, json_agg(txn ORDER BY txn COLLATE "C", rule COLLATE "C")::text, json_build_object(
        'txn_hash', json_agg(txn_hash ORDER BY txn COLLATE "C", rule COLLATE "C"),
        'rule',     json_agg(rule     ORDER BY txn COLLATE "C", rule COLLATE "C"),
        'date',     json_agg(date     ORDER BY txn COLLATE "C", rule COLLATE "C"),
        'type',     json_agg(type     ORDER BY txn COLLATE "C", rule COLLATE "C"),
        'share',    json_agg(share::text  ORDER BY txn COLLATE "C", rule COLLATE "C"),
        'amount',   json_agg(amount::text ORDER BY txn COLLATE "C", rule COLLATE "C"))::text
FROM credit_v7 GROUP BY line_key;
DROP TABLE credit_v7;
CREATE TRIGGER credit_append_only BEFORE UPDATE OR DELETE ON credit FOR EACH ROW EXECUTE FUNCTION icomp_append_only();
CREATE TRIGGER credit_no_truncate BEFORE TRUNCATE ON credit FOR EACH STATEMENT EXECUTE FUNCTION icomp_append_only();
