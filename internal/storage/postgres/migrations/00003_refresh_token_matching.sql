-- +goose Up
-- A revocation deletes the refresh tokens it matches in its own
-- transaction: these find them by user, API key and room.
CREATE INDEX refresh_tokens_by_subject ON refresh_tokens (app_id, subject);
CREATE INDEX refresh_tokens_by_api_key ON refresh_tokens (api_key_id);

-- The rooms a refresh token's grants are bound to.
CREATE TABLE refresh_token_rooms (
    id_hash BYTEA NOT NULL REFERENCES refresh_tokens (id_hash) ON DELETE CASCADE,
    app_id  TEXT NOT NULL,
    room    TEXT NOT NULL,
    PRIMARY KEY (id_hash, room)
);

CREATE INDEX refresh_token_rooms_by_room ON refresh_token_rooms (app_id, room);

-- +goose Down
DROP TABLE refresh_token_rooms;
DROP INDEX refresh_tokens_by_api_key;
DROP INDEX refresh_tokens_by_subject;
