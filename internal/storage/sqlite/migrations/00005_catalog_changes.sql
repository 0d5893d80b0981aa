-- +goose Up
-- The latest change of each catalog entry: an app (name ''), an API key or
-- a role of an app, or the signing keys (app_id and name ''). Every write
-- to the catalog numbers its change after the largest seq, inside the
-- write transaction that holds the database, so seq grows in commit
-- order and a reader finds what changed since it last read by reading
-- the rows above the seq it remembers.
CREATE TABLE catalog_changes (
    kind   TEXT NOT NULL,
    app_id TEXT NOT NULL,
    name   TEXT NOT NULL,
    seq    INTEGER NOT NULL UNIQUE,
    PRIMARY KEY (kind, app_id, name)
) STRICT;

-- +goose Down
DROP TABLE catalog_changes;
