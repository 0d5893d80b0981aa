-- +goose Up
CREATE TABLE apps (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    session_policy TEXT NOT NULL DEFAULT 'continuous',
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id                TEXT PRIMARY KEY,
    app_id            TEXT NOT NULL REFERENCES apps (id),
    kind              TEXT NOT NULL CHECK (kind IN ('production', 'development')),
    secret_ciphertext BLOB NOT NULL,
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER
) STRICT;

CREATE INDEX api_keys_by_app ON api_keys (app_id, created_at);

CREATE TABLE roles (
    app_id      TEXT NOT NULL REFERENCES apps (id),
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    rank        INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (app_id, name)
) STRICT;

CREATE TABLE signing_keys (
    id                     TEXT PRIMARY KEY,
    state                  TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    public_key             BLOB NOT NULL,
    private_key_ciphertext BLOB NOT NULL,
    created_at             INTEGER NOT NULL,
    activated_at           INTEGER,
    retired_at             INTEGER,
    publish_until          INTEGER
) STRICT;

-- At most one current and one next key.
CREATE UNIQUE INDEX signing_keys_one_per_live_state ON signing_keys (state)
    WHERE state IN ('current', 'next');

CREATE TABLE revocations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    issued_before INTEGER,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX revocations_by_app ON revocations (app_id, seq);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);

CREATE TABLE refresh_tokens (
    id_hash    BLOB PRIMARY KEY,
    family_id  TEXT NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    subject    TEXT NOT NULL,
    grants     BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      BLOB
) STRICT;

CREATE INDEX audit_log_by_app ON audit_log (app_id, seq);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE refresh_tokens;
DROP TABLE revocations;
DROP TABLE signing_keys;
DROP TABLE roles;
DROP TABLE api_keys;
DROP TABLE apps;
