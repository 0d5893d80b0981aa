-- +goose Up
-- The audit log is listed in time order, filtered by app, action, actor or
-- app and action together, and pruned by age: each of those reads one index
-- in order, so a page and a pruning batch cost the same at any size of the
-- log. Each index ends with the rowid, which is seq.
DROP INDEX audit_log_by_app;
CREATE INDEX audit_log_by_time ON audit_log (occurred_at);
CREATE INDEX audit_log_by_app ON audit_log (app_id, occurred_at);
CREATE INDEX audit_log_by_app_action ON audit_log (app_id, action, occurred_at);
CREATE INDEX audit_log_by_action ON audit_log (action, occurred_at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, occurred_at);

-- +goose Down
DROP INDEX audit_log_by_actor;
DROP INDEX audit_log_by_action;
DROP INDEX audit_log_by_app_action;
DROP INDEX audit_log_by_app;
DROP INDEX audit_log_by_time;
CREATE INDEX audit_log_by_app ON audit_log (app_id, seq);
