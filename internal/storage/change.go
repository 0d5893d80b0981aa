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
	// ChangeRoom reports new events of a room (Room set; Cursor is the
	// newest event's Seq).
	ChangeRoom ChangeKind = "room"
	// ChangeResync means changes may have been missed: reload everything
	// cached, revocations from the last cursor seen.
	ChangeResync ChangeKind = "resync"
	// ChangeExternal means that another process sharing the database may
	// have committed changes the feed cannot detail: read what is followed
	// after the cursors last read, as a poll would. It may follow this
	// process's own commits too.
	ChangeExternal ChangeKind = "external"
)

// Change tells that something was committed.
type Change struct {
	// Kind is what changed.
	Kind ChangeKind
	// AppID is the app concerned, if any.
	AppID string
	// Room is the room concerned, for ChangeRoom.
	Room string
	// Cursor is the Seq of the revocation for ChangeRevocation, of the
	// newest room event for ChangeRoom, else zero.
	Cursor int64
}
