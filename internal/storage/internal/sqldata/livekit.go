package sqldata

import (
	"context"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const liveKitColumns = `app_id, url, api_key, secret_ciphertext, updated_at`

// PutLiveKitProject implements storage.LiveKitProjects.
func (s Store) PutLiveKitProject(ctx context.Context, p storage.LiveKitProject, audit *storage.AuditEntry) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		if err := requireApp(ctx, s.d, tx, p.AppID); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `INSERT INTO livekit_projects (`+liveKitColumns+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app_id) DO UPDATE SET
				url = excluded.url, api_key = excluded.api_key,
				secret_ciphertext = excluded.secret_ciphertext, updated_at = excluded.updated_at`,
			p.AppID, p.URL, p.APIKey, p.SecretCiphertext, s.d.Time(orNow(p.UpdatedAt)))
		if s.d.IsUnique(err) {
			return nil, fmt.Errorf("livekit api key %q is another app's: %w", p.APIKey, storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, s.d.Fail("put livekit project", err)
		}
		return []storage.Change{{Kind: storage.ChangeLiveKit, AppID: p.AppID}}, nil
	})
}

// GetLiveKitProject implements storage.LiveKitProjects.
func (s Store) GetLiveKitProject(ctx context.Context, appID string) (storage.LiveKitProject, error) {
	row := s.db.QueryRow(ctx, `SELECT `+liveKitColumns+` FROM livekit_projects WHERE app_id = $1`, appID)
	return one(s.d, "get livekit project", row, s.scanLiveKit, "livekit project of app %q", appID)
}

// ListLiveKitProjects implements storage.LiveKitProjects.
func (s Store) ListLiveKitProjects(ctx context.Context) ([]storage.LiveKitProject, error) {
	rows, err := s.db.Query(ctx, `SELECT `+liveKitColumns+` FROM livekit_projects ORDER BY app_id`)
	return collect(s.d, "list livekit projects", rows, err, s.scanLiveKit)
}

// DeleteLiveKitProject implements storage.LiveKitProjects.
func (s Store) DeleteLiveKitProject(ctx context.Context, appID string, audit *storage.AuditEntry) error {
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `DELETE FROM livekit_projects WHERE app_id = $1`, appID)
		if err != nil {
			return nil, s.d.Fail("delete livekit project", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("livekit project of app %q: %w", appID, storage.ErrNotFound)
		}
		return []storage.Change{{Kind: storage.ChangeLiveKit, AppID: appID}}, nil
	})
}

func (s Store) scanLiveKit(row Row) (storage.LiveKitProject, error) {
	var p storage.LiveKitProject
	err := row.Scan(&p.AppID, &p.URL, &p.APIKey, &p.SecretCiphertext, s.d.ScanTime(&p.UpdatedAt))
	return p, err
}
