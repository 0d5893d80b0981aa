-- +goose Up
-- Numbers catalog changes. The row stays locked by the transaction that
-- took the next number until it ends, so catalog changes commit in seq
-- order and a reader following the seq never skips one.
CREATE TABLE catalog_seq (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    last      BIGINT NOT NULL
);

INSERT INTO catalog_seq (last) VALUES (0);

-- The latest change of each catalog entry: an app (name ''), an API key or
-- a role of an app, or the signing keys (app_id and name ''). A reader
-- finds what changed since it last read by reading the rows above the seq
-- it remembers.
CREATE TABLE catalog_changes (
    kind   TEXT NOT NULL,
    app_id TEXT NOT NULL,
    name   TEXT NOT NULL,
    seq    BIGINT NOT NULL UNIQUE,
    PRIMARY KEY (kind, app_id, name)
);

-- +goose Down
DROP TABLE catalog_changes;
DROP TABLE catalog_seq;
