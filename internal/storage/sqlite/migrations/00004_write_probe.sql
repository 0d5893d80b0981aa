-- +goose Up
-- The readiness probe writes a row here and deletes it in the same
-- transaction: the table stays empty.
CREATE TABLE write_probe (
    id  INTEGER PRIMARY KEY,
    pad BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE write_probe;
