-- icomp schema v8 (SQLite): exchange rates (docs/plans.md §18). One rate
-- per currency pair and calendar month: one unit of from_currency is rate
-- units of to_currency for amounts dated in month (YYYY-MM). The rate is
-- the canonical decimal text, never REAL.
CREATE TABLE fx_rate (
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    month         TEXT NOT NULL,
    rate          TEXT NOT NULL,
    PRIMARY KEY (from_currency, to_currency, month)
);
