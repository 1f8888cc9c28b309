-- icomp schema v2 (Postgres): plan_version becomes a publication log, as
-- in storage/sqlitestore/migration/002: a hash may appear on several rows
-- and the newest seq is the latest.
ALTER TABLE plan_version DROP CONSTRAINT plan_version_hash_key;
CREATE INDEX plan_version_hash ON plan_version (hash);
CREATE INDEX plan_version_latest ON plan_version (kind, name, seq);
