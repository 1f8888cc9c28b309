// Package jobs runs a period as River background jobs.
//
// A run starts as one RunArgs job. Its worker splits each plan's payees into
// batches (slices of people sized to thousands of transactions) and enqueues
// one BatchArgs job per batch, in the same transaction that completes the
// run job. Each batch worker computes its people with the engine, compares
// the result with what is already posted, and appends the differences to the
// ledgers (reversals plus new lines) and completes its job in one
// transaction (river.JobCompleteTx), so a crashed or retried batch can
// neither double-post nor lose a line. The batch that finishes last enqueues
// FinalizeArgs, whose worker records the run's digest.
//
// The package is generic over River's driver, so the same workers run on
// SQLite (riversqlite, *sql.Tx) and Postgres (riverpgxv5, pgx.Tx).
package jobs
