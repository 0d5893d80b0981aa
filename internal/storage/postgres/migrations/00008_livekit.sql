-- +goose Up
-- The LiveKit project each app's rooms run on; its API key names the app
-- in the webhooks LiveKit sends.
CREATE TABLE livekit_projects (
    app_id            TEXT PRIMARY KEY REFERENCES apps (id),
    url               TEXT NOT NULL,
    api_key           TEXT NOT NULL UNIQUE,
    secret_ciphertext BYTEA NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE livekit_projects;
