package access

import "fmt"

// Sources a participant can produce, as rooms and clients name them.
const (
	SourceCamera     = "camera"
	SourceMicrophone = "microphone"
	SourceScreen     = "screen"
)

// SourcePermission returns the permission that producing source needs.
func SourcePermission(source string) (Permission, error) {
	switch source {
	case SourceCamera:
		return ProduceCamera, nil
	case SourceMicrophone:
		return ProduceMicrophone, nil
	case SourceScreen:
		return ProduceScreen, nil
	}
	return 0, &InvalidError{Field: "source", Detail: fmt.Sprintf("unknown source %q (want camera, microphone or screen)", source)}
}

// LostSources returns the sources among producing that perms no longer
// allows: what a demotion or a permission change must stop.
func LostSources(producing []string, perms Set) []string {
	var lost []string
	for _, src := range producing {
		if p, err := SourcePermission(src); err != nil || !perms.Has(p) {
			lost = append(lost, src)
		}
	}
	return lost
}

// ParseRoomType returns the room type named s.
func ParseRoomType(s string) (RoomType, error) {
	switch RoomType(s) {
	case RoomLivestream, RoomPrivate, RoomConference, RoomCustom:
		return RoomType(s), nil
	}
	return "", &InvalidError{Field: "type", Detail: fmt.Sprintf("unknown room type %q (want livestream, private, conference or custom)", s)}
}

// RoomSettings are a new room's type and caps; a zero cap means none.
type RoomSettings struct {
	Type            RoomType
	MaxProducers    int
	MaxParticipants int
}

// DefaultRoomSettings fills what a room's creator left unset from the
// creator's role (a private-broadcaster makes private rooms with one
// producer, a conference-owner conferences with ten) and, failing that, from
// the room type: a private room has one producer, a conference ten.
func DefaultRoomSettings(creator Role, asked RoomSettings) (RoomSettings, error) {
	out := asked
	if out.MaxProducers < 0 || out.MaxParticipants < 0 {
		return RoomSettings{}, &InvalidError{Field: "max_producers", Detail: "caps must not be negative"}
	}
	if out.Type == "" {
		out.Type = creator.Room.Type
	}
	if out.Type == "" {
		out.Type = RoomCustom
	}
	if _, err := ParseRoomType(string(out.Type)); err != nil {
		return RoomSettings{}, err
	}
	if out.MaxProducers == 0 {
		switch {
		case creator.Room.Type == out.Type && creator.Room.MaxProducers > 0:
			out.MaxProducers = creator.Room.MaxProducers
		case out.Type == RoomPrivate:
			out.MaxProducers = 1
		case out.Type == RoomConference:
			out.MaxProducers = 10
		}
	}
	return out, nil
}

// CanModerate enforces rank between peers: a moderator acts only on peers
// whose role ranks no higher than its own (a co-host cannot mute or demote
// the host), and only with the permission the action needs.
func CanModerate(actor Holder, need Permission, targetRank int) error {
	if !actor.Permissions.Has(need) {
		return missing(need)
	}
	if targetRank > actor.Rank {
		return &ForbiddenError{Reason: ReasonEscalation, Missing: need,
			Detail: fmt.Sprintf("cannot act on a peer of rank %d above own rank %d", targetRank, actor.Rank)}
	}
	return nil
}
