package sqldata

import (
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const requestColumns = `id, app_id, room, session_id, permission, state, created_at, resolved_at`

// Request implements roomdata.Writer.
func (w RoomTx) Request(appID, room, id string) (storage.PermissionRequest, error) {
	row := w.tx.QueryRow(w.ctx, `SELECT `+requestColumns+` FROM permission_requests
		WHERE id = $1 AND app_id = $2 AND room = $3`, id, appID, room)
	return one(w.d, "get permission request", row, func(row Row) (storage.PermissionRequest, error) {
		var r storage.PermissionRequest
		err := row.Scan(&r.ID, &r.AppID, &r.Room, &r.SessionID, &r.Permission, &r.State, w.d.ScanTime(&r.CreatedAt), w.d.ScanTime(&r.ResolvedAt))
		return r, err
	}, "permission request %q in room %q", id, room)
}

// InsertRequest implements roomdata.Writer.
func (w RoomTx) InsertRequest(r storage.PermissionRequest) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO permission_requests (`+requestColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.AppID, r.Room, r.SessionID, r.Permission, r.State, w.d.Time(r.CreatedAt), w.d.NullTime(r.ResolvedAt))
	if w.d.IsUnique(err) {
		return fmt.Errorf("permission request %q: %w", r.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return w.d.Fail("create permission request", err)
	}
	return nil
}

// SaveRequest implements roomdata.Writer.
func (w RoomTx) SaveRequest(r storage.PermissionRequest) error {
	return w.exec("resolve permission request", `UPDATE permission_requests SET state = $1, resolved_at = $2 WHERE id = $3`,
		r.State, w.d.NullTime(r.ResolvedAt), r.ID)
}
