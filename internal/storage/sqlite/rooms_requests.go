package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Request implements roomdata.Writer.
func (w *roomTx) Request(appID, room, id string) (storage.PermissionRequest, error) {
	r, err := scanRequest(w.tx.QueryRowContext(w.ctx, `SELECT `+requestColumns+` FROM permission_requests
		WHERE id = ? AND app_id = ? AND room = ?`, id, appID, room))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.PermissionRequest{}, fmt.Errorf("permission request %q in room %q: %w", id, room, storage.ErrNotFound)
	}
	if err != nil {
		return storage.PermissionRequest{}, fail("get permission request", err)
	}
	return r, nil
}

// InsertRequest implements roomdata.Writer.
func (w *roomTx) InsertRequest(r storage.PermissionRequest) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO permission_requests (`+requestColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AppID, r.Room, r.SessionID, r.Permission, r.State, millis(r.CreatedAt), nullMillis(r.ResolvedAt))
	if isUnique(err) {
		return fmt.Errorf("permission request %q: %w", r.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("create permission request", err)
	}
	return nil
}

// SaveRequest implements roomdata.Writer.
func (w *roomTx) SaveRequest(r storage.PermissionRequest) error {
	_, err := w.tx.ExecContext(w.ctx, `UPDATE permission_requests SET state = ?, resolved_at = ? WHERE id = ?`,
		r.State, nullMillis(r.ResolvedAt), r.ID)
	if err != nil {
		return fail("resolve permission request", err)
	}
	return nil
}

const requestColumns = `id, app_id, room, session_id, permission, state, created_at, resolved_at`

func scanRequest(row scanner) (storage.PermissionRequest, error) {
	var r storage.PermissionRequest
	var created int64
	var resolved sql.NullInt64
	if err := row.Scan(&r.ID, &r.AppID, &r.Room, &r.SessionID, &r.Permission, &r.State, &created, &resolved); err != nil {
		return storage.PermissionRequest{}, err
	}
	r.CreatedAt = fromMillis(created)
	r.ResolvedAt = fromNullMillis(resolved)
	return r, nil
}
