// Package storagetest is the conformance suite every storage backend passes.
package storagetest

import (
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Run runs the conformance suite against the backend that open creates. Each
// call of open must return a new, empty store and arrange for it to be
// closed when t ends.
func Run(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("Apps", func(t *testing.T) { testApps(t, open) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, open) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, open) })
	t.Run("Revocations", func(t *testing.T) { testRevocations(t, open) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefreshTokens(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, open) })
	t.Run("CatalogChanges", func(t *testing.T) { testCatalogChanges(t, open) })
	t.Run("Ping", func(t *testing.T) { testPing(t, open) })
	t.Run("Rooms", func(t *testing.T) { testRooms(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Producers", func(t *testing.T) { testProducers(t, open) })
	t.Run("PermissionRequests", func(t *testing.T) { testPermissionRequests(t, open) })
	t.Run("Blocks", func(t *testing.T) { testBlocks(t, open) })
	t.Run("SessionPolicies", func(t *testing.T) { testSessionPolicies(t, open) })
	t.Run("RoomEvents", func(t *testing.T) { testRoomEvents(t, open) })
	t.Run("RoomRaces", func(t *testing.T) { testRoomRaces(t, open) })
	t.Run("LiveKitProjects", func(t *testing.T) { testLiveKitProjects(t, open) })
	t.Run("ConsoleSessions", func(t *testing.T) { testConsoleSessions(t, open) })
}
