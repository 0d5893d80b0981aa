package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// Request implements roomdata.Writer.
func (w *roomTx) Request(appID, room, id string) (storage.PermissionRequest, error) {
	r, err := scanRequest(w.tx.QueryRow(w.ctx, `SELECT `+requestColumns+` FROM permission_requests
		WHERE id = $1 AND app_id = $2 AND room = $3`, id, appID, room))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.PermissionRequest{}, fmt.Errorf("permission request %q in room %q: %w", id, room, storage.ErrNotFound)
	}
	if err != nil {
		return storage.PermissionRequest{}, fail("get permission request", err)
	}
	return r, nil
}

// InsertRequest implements roomdata.Writer.
func (w *roomTx) InsertRequest(r storage.PermissionRequest) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO permission_requests (`+requestColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.AppID, r.Room, r.SessionID, r.Permission, r.State, r.CreatedAt, nullStamp(r.ResolvedAt))
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
	_, err := w.tx.Exec(w.ctx, `UPDATE permission_requests SET state = $1, resolved_at = $2 WHERE id = $3`,
		r.State, nullStamp(r.ResolvedAt), r.ID)
	if err != nil {
		return fail("resolve permission request", err)
	}
	return nil
}

const requestColumns = `id, app_id, room, session_id, permission, state, created_at, resolved_at`

func scanRequest(row scanner) (storage.PermissionRequest, error) {
	var r storage.PermissionRequest
	var resolved *time.Time
	if err := row.Scan(&r.ID, &r.AppID, &r.Room, &r.SessionID, &r.Permission, &r.State, &r.CreatedAt, &resolved); err != nil {
		return storage.PermissionRequest{}, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	r.ResolvedAt = fromNull(resolved)
	return r, nil
}
