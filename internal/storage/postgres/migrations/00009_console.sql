-- +goose Up
-- The one-time codes of console links: only their SHA-256 is kept.
CREATE TABLE console_login_codes (
    code_hash  BYTEA PRIMARY KEY,
    operator   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX console_login_codes_by_expiry ON console_login_codes (expires_at);

-- Sign-ins to the console: an operator's (operator set) or an app
-- owner's (app_id and api_key_id set).
CREATE TABLE console_sessions (
    id         TEXT PRIMARY KEY,
    operator   TEXT NOT NULL,
    app_id     TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX console_sessions_by_key ON console_sessions (api_key_id, expires_at);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- Live rooms of an app, by name.
CREATE INDEX rooms_live_by_name ON rooms (app_id, name) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX rooms_live_by_name;
DROP TABLE console_sessions;
DROP TABLE console_login_codes;
