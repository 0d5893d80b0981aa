package access

import (
	"fmt"
	"sort"
)

// Role is a named set of permissions with a rank. Whoever grants a role must
// hold a rank at least as high (no escalation).
type Role struct {
	Name        string
	Permissions Set
	Rank        int
	// Builtin is true for the preset roles every app has.
	Builtin bool
	// Room holds the defaults of a room this role creates.
	Room RoomDefaults
}

// RoomType is the kind of a room.
type RoomType string

// The room types.
const (
	RoomLivestream RoomType = "livestream"
	RoomPrivate    RoomType = "private"
	RoomConference RoomType = "conference"
	RoomCustom     RoomType = "custom"
)

// RoomDefaults are the settings of a room its creator's role implies.
// MaxProducers 0 means no limit.
type RoomDefaults struct {
	Type         RoomType
	MaxProducers int
}

// Ranks bound custom roles: 0 ≤ rank ≤ MaxRank.
const (
	MinRank = 0
	MaxRank = 100
)

// The built-in role names.
const (
	Broadcaster           = "broadcaster"
	Viewer                = "viewer"
	PrivateBroadcaster    = "private-broadcaster"
	PrivateViewer         = "private-viewer"
	ConferenceOwner       = "conference-owner"
	ConferenceParticipant = "conference-participant"
	Admin                 = "admin"
	Host                  = "host"
	CoHost                = "co-host"
	Guest                 = "guest"
	Speaker               = "speaker"
	Listener              = "listener"
	Bot                   = "bot"
	Contributor           = "contributor"
)

var (
	everythingButAsk = All.Minus(Of(RoomAskJoin))
	mediaBasics      = Of(RoomJoin, Consume)
	creator          = Of(RoomCreate, RoomJoin, Consume).Union(Produce)
	participant      = Of(RoomJoin, Consume).Union(Produce)
)

// builtins is the catalog of DESIGN.md's table. Ranks order authority:
// host above co-host (so a co-host can never make a host), moderators above
// producers, producers above consumers.
var builtins = []Role{
	{Name: Host, Permissions: everythingButAsk, Rank: 100},
	{Name: CoHost, Permissions: everythingButAsk, Rank: 90},
	{Name: Admin, Permissions: mediaBasics.Union(Moderate), Rank: 80},
	{Name: ConferenceOwner, Permissions: creator.Union(Moderate), Rank: 70,
		Room: RoomDefaults{Type: RoomConference, MaxProducers: 10}},
	{Name: Broadcaster, Permissions: creator, Rank: 60,
		Room: RoomDefaults{Type: RoomLivestream}},
	{Name: PrivateBroadcaster, Permissions: creator, Rank: 60,
		Room: RoomDefaults{Type: RoomPrivate, MaxProducers: 1}},
	{Name: Contributor, Permissions: participant.Union(Data).Union(Of(APIRead)), Rank: 50},
	{Name: Guest, Permissions: participant.Union(Data).Union(Of(MetadataUpdate)), Rank: 40},
	{Name: PrivateViewer, Permissions: participant, Rank: 40},
	{Name: ConferenceParticipant, Permissions: participant, Rank: 40},
	{Name: Speaker, Permissions: mediaBasics.Union(Of(ProduceMicrophone, MetadataUpdate)).Union(Data), Rank: 30},
	{Name: Listener, Permissions: mediaBasics.Union(Data), Rank: 20},
	{Name: Viewer, Permissions: mediaBasics, Rank: 10},
	{Name: Bot, Permissions: mediaBasics, Rank: 10},
}

// Builtin returns the preset roles, highest rank first.
func Builtin() []Role {
	out := make([]Role, len(builtins))
	for i, r := range builtins {
		r.Builtin = true
		out[i] = r
	}
	return out
}

// MaxRoleNameLen is the longest role name, in bytes.
const MaxRoleNameLen = 64

// ValidRoleName reports whether name can name a role: 1 to MaxRoleNameLen
// lowercase ASCII letters, digits, '.', '_' or '-', beginning with a
// letter or a digit. Every built-in role has such a name and a custom role
// must. It is as much as can be checked without an app's catalog: the
// token package holds minted roles to it.
func ValidRoleName(name string) bool {
	if len(name) == 0 || len(name) > MaxRoleNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ValidateCustom checks a custom role: a lowercase name that is not a
// built-in one, a rank within [MinRank, MaxRank], and at least one permission.
func ValidateCustom(r Role) error {
	if !ValidRoleName(r.Name) {
		return &InvalidError{Field: "name", Detail: fmt.Sprintf("role name %q must be 1-64 lowercase letters, digits, '.', '_' or '-'", r.Name)}
	}
	for _, b := range builtins {
		if b.Name == r.Name {
			return &InvalidError{Field: "name", Detail: fmt.Sprintf("%q is a built-in role and cannot be redefined", r.Name)}
		}
	}
	if r.Rank < MinRank || r.Rank > MaxRank {
		return &InvalidError{Field: "rank", Detail: fmt.Sprintf("rank %d is outside [%d, %d]", r.Rank, MinRank, MaxRank)}
	}
	if r.Permissions&All == 0 {
		return &InvalidError{Field: "permissions", Detail: "a role needs at least one permission"}
	}
	return nil
}

// Catalog resolves role names: the built-in roles plus one app's custom roles.
type Catalog struct {
	roles map[string]Role
}

// NewCatalog returns the built-in roles plus custom, each checked with
// ValidateCustom.
func NewCatalog(custom ...Role) (*Catalog, error) {
	c := &Catalog{roles: make(map[string]Role, len(builtins)+len(custom))}
	for _, r := range Builtin() {
		c.roles[r.Name] = r
	}
	for _, r := range custom {
		if err := ValidateCustom(r); err != nil {
			return nil, err
		}
		r.Builtin = false
		c.roles[r.Name] = r
	}
	return c, nil
}

// Role returns the role called name or an *UnknownRoleError.
func (c *Catalog) Role(name string) (Role, error) {
	r, ok := c.roles[name]
	if !ok {
		return Role{}, &UnknownRoleError{Name: name}
	}
	return r, nil
}

// Roles returns every role, highest rank first, then by name.
func (c *Catalog) Roles() []Role {
	out := make([]Role, 0, len(c.roles))
	for _, r := range c.roles {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rank != out[j].Rank {
			return out[i].Rank > out[j].Rank
		}
		return out[i].Name < out[j].Name
	})
	return out
}
