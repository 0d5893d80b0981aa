-- +goose Up
CREATE TABLE rooms (
    app_id           TEXT NOT NULL REFERENCES apps (id),
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    max_producers    INTEGER NOT NULL,
    max_participants INTEGER NOT NULL,
    metadata         BYTEA,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    ended_at         TIMESTAMPTZ,
    PRIMARY KEY (app_id, name)
);

-- Sessions: permissions and sources are sorted names; a session with
-- sources holds a producer slot. ord keeps the order of creation.
CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    ord              BIGINT GENERATED ALWAYS AS IDENTITY,
    app_id           TEXT NOT NULL,
    room             TEXT NOT NULL,
    participant      TEXT NOT NULL,
    subject          TEXT NOT NULL,
    role             TEXT NOT NULL,
    permissions      TEXT[] NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('waiting', 'joined', 'ended')),
    sources          TEXT[] NOT NULL,
    token_id         TEXT NOT NULL,
    token_issuer     TEXT NOT NULL,
    token_issued_at  TIMESTAMPTZ,
    token_expires_at TIMESTAMPTZ,
    lease_until      TIMESTAMPTZ NOT NULL,
    end_reason       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (app_id, room) REFERENCES rooms (app_id, name)
);

-- One session not ended per participant and room.
CREATE UNIQUE INDEX sessions_one_per_participant ON sessions (app_id, room, participant)
    WHERE state <> 'ended';
CREATE INDEX sessions_live_by_room ON sessions (app_id, room, created_at, ord)
    WHERE state <> 'ended';
CREATE INDEX sessions_by_lease ON sessions (lease_until)
    WHERE state <> 'ended';
CREATE INDEX sessions_by_token_expiry ON sessions (token_expires_at)
    WHERE state <> 'ended' AND token_expires_at IS NOT NULL;

CREATE TABLE blocked_participants (
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    participant TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_id, room, participant),
    FOREIGN KEY (app_id, room) REFERENCES rooms (app_id, name)
);

CREATE TABLE permission_requests (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    permission  TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'granted', 'denied')),
    created_at  TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ
);

-- The last room event sequence number. Taking the next ones locks this row
-- until the transaction ends, so room events commit in sequence order and a
-- reader following the sequence never skips one.
CREATE TABLE room_event_seq (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    last      BIGINT NOT NULL
);

INSERT INTO room_event_seq (last) VALUES (0);

CREATE TABLE room_events (
    seq         BIGINT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    type        TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    data        BYTEA,
    occurred_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX room_events_by_room ON room_events (app_id, room, seq);
CREATE INDEX room_events_by_time ON room_events (occurred_at);

-- +goose Down
DROP TABLE room_events;
DROP TABLE room_event_seq;
DROP TABLE permission_requests;
DROP TABLE blocked_participants;
DROP TABLE sessions;
DROP TABLE rooms;
