-- +goose Up
CREATE TABLE apps (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    session_policy TEXT NOT NULL DEFAULT 'continuous',
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id                TEXT PRIMARY KEY,
    app_id            TEXT NOT NULL REFERENCES apps (id),
    kind              TEXT NOT NULL CHECK (kind IN ('production', 'development')),
    secret_ciphertext BYTEA NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ
);

CREATE INDEX api_keys_by_app ON api_keys (app_id, created_at);

CREATE TABLE roles (
    app_id      TEXT NOT NULL REFERENCES apps (id),
    name        TEXT NOT NULL,
    permissions TEXT[] NOT NULL,
    rank        INTEGER NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE signing_keys (
    id                     TEXT PRIMARY KEY,
    state                  TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    public_key             BYTEA NOT NULL,
    private_key_ciphertext BYTEA NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    activated_at           TIMESTAMPTZ,
    retired_at             TIMESTAMPTZ,
    publish_until          TIMESTAMPTZ
);

-- At most one current and one next key.
CREATE UNIQUE INDEX signing_keys_one_per_live_state ON signing_keys (state)
    WHERE state IN ('current', 'next');

-- The last revocation sequence number. Taking the next one locks this row
-- until the transaction ends, so revocations commit in sequence order and a
-- reader following the sequence never skips one.
CREATE TABLE revocation_seq (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    last      BIGINT NOT NULL
);

INSERT INTO revocation_seq (last) VALUES (0);

CREATE TABLE revocations (
    seq           BIGINT PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    issued_before TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX revocations_by_app ON revocations (app_id, seq);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);

CREATE TABLE refresh_tokens (
    id_hash    BYTEA PRIMARY KEY,
    family_id  TEXT NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps (id),
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    subject    TEXT NOT NULL,
    grants     BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE audit_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      BYTEA
);

CREATE INDEX audit_log_by_app ON audit_log (app_id, seq);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE refresh_tokens;
DROP TABLE revocations;
DROP TABLE revocation_seq;
DROP TABLE signing_keys;
DROP TABLE roles;
DROP TABLE api_keys;
DROP TABLE apps;
