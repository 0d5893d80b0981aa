package authority

// Lifetimes the tests check revocations against.
const (
	RefreshTTL     = refreshTTL
	CredentialLife = credentialLife
)

// FollowedRooms is how many rooms the node follows for its event streams.
func (a *Authority) FollowedRooms() int { return a.rooms.streams.feeds.Feeds() }
