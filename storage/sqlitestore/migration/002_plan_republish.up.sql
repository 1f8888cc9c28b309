-- icomp schema v2 (SQLite): plan_version becomes a publication log. A
-- version's hash may appear on several rows, so that re-publishing an
-- older version appends a row and makes it the latest again (v1 had hash
-- UNIQUE, which silently kept the newer version in force).
CREATE TABLE plan_version_v2 (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    hash    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    version TEXT NOT NULL,
    file    TEXT NOT NULL,
    source  TEXT NOT NULL
);
INSERT INTO plan_version_v2 (seq, hash, kind, name, version, file, source)
    SELECT seq, hash, kind, name, version, file, source FROM plan_version;
DROP TABLE plan_version;
ALTER TABLE plan_version_v2 RENAME TO plan_version;
CREATE INDEX plan_version_hash ON plan_version (hash);
CREATE INDEX plan_version_latest ON plan_version (kind, name, seq);
