-- icomp schema v12 (Postgres): users can be disabled, API tokens have an
-- id, a label and can be revoked, sessions remember when they were last
-- used (the idle timeout). docs/api.md.
--
-- disabled_at is '' for a user who may sign in, else when they were
-- disabled: their sessions and tokens are refused from the next request.
ALTER TABLE app_user ADD COLUMN disabled_at TEXT NOT NULL DEFAULT '';

-- last_seen_at moves forward at most once a minute while the session is
-- used; a session unused for the idle timeout is refused.
ALTER TABLE app_session ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE app_session SET last_seen_at = created_at;

-- api_token gets a numeric id as its key (the same table as SQLite's
-- rebuilt one). The token itself is still stored only as its SHA-256.
CREATE TABLE api_token_v12 (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    BIGINT NOT NULL REFERENCES app_user (id),
    label      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT ''
);
INSERT INTO api_token_v12 (token_hash, user_id, created_at)
    SELECT token_hash, user_id, created_at FROM api_token ORDER BY created_at, token_hash;
DROP TABLE api_token;
ALTER TABLE api_token_v12 RENAME TO api_token;
ALTER SEQUENCE api_token_v12_id_seq RENAME TO api_token_id_seq;
ALTER INDEX api_token_v12_pkey RENAME TO api_token_pkey;
ALTER INDEX api_token_v12_token_hash_key RENAME TO api_token_token_hash_key;
CREATE INDEX api_token_user ON api_token (user_id);
