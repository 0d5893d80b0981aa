package sqldata

import (
	"context"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// changed records in tx that the catalog entry of kind, appID and name
// changed, and returns the change to announce once tx commits.
func (s Store) changed(ctx context.Context, tx Querier, kind storage.ChangeKind, appID, name string) (storage.Change, error) {
	if _, err := tx.Exec(ctx, s.d.RecordCatalogChange, string(kind), appID, name); err != nil {
		return storage.Change{}, s.d.Fail("record catalog change", err)
	}
	return storage.Change{Kind: kind, AppID: appID}, nil
}

// changedOnly is changed for a write that announces nothing else.
func (s Store) changedOnly(ctx context.Context, tx Querier, kind storage.ChangeKind, appID, name string) ([]storage.Change, error) {
	c, err := s.changed(ctx, tx, kind, appID, name)
	if err != nil {
		return nil, err
	}
	return []storage.Change{c}, nil
}

// CatalogVersion implements storage.CatalogChanges.
func (s Store) CatalogVersion(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM catalog_changes`).Scan(&seq); err != nil {
		return 0, s.d.Fail("catalog version", err)
	}
	return seq, nil
}

// CatalogChanges implements storage.CatalogChanges.
func (s Store) CatalogChanges(ctx context.Context, after int64, limit int) ([]storage.CatalogChange, error) {
	rows, err := s.db.Query(ctx, `SELECT seq, kind, app_id, name FROM catalog_changes
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, s.d.Limit(limit))
	return collect(s.d, "catalog changes", rows, err, func(row Row) (storage.CatalogChange, error) {
		var c storage.CatalogChange
		err := row.Scan(&c.Seq, (*string)(&c.Kind), &c.AppID, &c.Name)
		return c, err
	})
}
