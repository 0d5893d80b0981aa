package storage

// ChangeKind says what changed.
type ChangeKind string

// The kinds of change.
const (
	ChangeApp        ChangeKind = "app"
	ChangeAPIKey     ChangeKind = "api_key"
	ChangeRole       ChangeKind = "role"
	ChangeSigningKey ChangeKind = "signing_key"
	ChangeRevocation ChangeKind = "revocation"
	// ChangeResync means changes may have been missed: reload everything
	// cached, revocations from the last cursor seen.
	ChangeResync ChangeKind = "resync"
)

// Change tells that something was committed.
type Change struct {
	// Kind is what changed.
	Kind ChangeKind
	// AppID is the app concerned, if any.
	AppID string
	// Cursor is the Seq of the revocation for ChangeRevocation, else zero.
	Cursor int64
}
