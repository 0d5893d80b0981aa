package authority

// Lifetimes the tests check revocations and readiness against.
const (
	RefreshTTL     = refreshTTL
	CredentialLife = credentialLife
	ReadyFor       = readyFor
)

// SetCatalogPage sets how many catalog changes a reads at once; call it
// before Start.
func SetCatalogPage(a *Authority, n int) { a.catalogPage = n }

// FollowedRooms is how many rooms the node follows for its event streams.
func (a *Authority) FollowedRooms() int { return a.rooms.streams.feeds.Feeds() }
