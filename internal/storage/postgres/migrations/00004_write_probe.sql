-- +goose Up
-- The readiness probe writes a row here and deletes it in the same
-- transaction: the table stays empty.
CREATE TABLE write_probe (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE write_probe;
