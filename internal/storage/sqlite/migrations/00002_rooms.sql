-- +goose Up
CREATE TABLE rooms (
    app_id           TEXT NOT NULL REFERENCES apps (id),
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    max_producers    INTEGER NOT NULL,
    max_participants INTEGER NOT NULL,
    metadata         BLOB,
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    PRIMARY KEY (app_id, name)
) STRICT;

-- Sessions: permissions and sources are sorted JSON arrays of names; a
-- session with sources other than '[]' holds a producer slot.
CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL,
    room             TEXT NOT NULL,
    participant      TEXT NOT NULL,
    subject          TEXT NOT NULL,
    role             TEXT NOT NULL,
    permissions      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('waiting', 'joined', 'ended')),
    sources          TEXT NOT NULL,
    token_id         TEXT NOT NULL,
    token_issuer     TEXT NOT NULL,
    token_issued_at  INTEGER,
    token_expires_at INTEGER,
    lease_until      INTEGER NOT NULL,
    end_reason       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    FOREIGN KEY (app_id, room) REFERENCES rooms (app_id, name)
) STRICT;

-- One session not ended per participant and room.
CREATE UNIQUE INDEX sessions_one_per_participant ON sessions (app_id, room, participant)
    WHERE state <> 'ended';
CREATE INDEX sessions_live_by_room ON sessions (app_id, room, created_at)
    WHERE state <> 'ended';
CREATE INDEX sessions_by_lease ON sessions (lease_until)
    WHERE state <> 'ended';
CREATE INDEX sessions_by_token_expiry ON sessions (token_expires_at)
    WHERE state <> 'ended' AND token_expires_at IS NOT NULL;

CREATE TABLE blocked_participants (
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    participant TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (app_id, room, participant),
    FOREIGN KEY (app_id, room) REFERENCES rooms (app_id, name)
) STRICT;

CREATE TABLE permission_requests (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    permission  TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'granted', 'denied')),
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
) STRICT;

-- Room events; seq grows with each commit (writes are serialised).
CREATE TABLE room_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id      TEXT NOT NULL,
    room        TEXT NOT NULL,
    type        TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    data        BLOB,
    occurred_at INTEGER NOT NULL
) STRICT;

CREATE INDEX room_events_by_room ON room_events (app_id, room, seq);
CREATE INDEX room_events_by_time ON room_events (occurred_at);

-- +goose Down
DROP TABLE room_events;
DROP TABLE permission_requests;
DROP TABLE blocked_participants;
DROP TABLE sessions;
DROP TABLE rooms;
