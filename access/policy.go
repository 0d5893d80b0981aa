package access

import (
	"fmt"
	"time"
)

// KeyKind is the kind of a key that signs tokens: an API key, production
// or development, or one of the service's own signing keys. It is the one
// key kind of stagedoor: the token package, storage and the service all
// speak it.
type KeyKind string

// The key kinds.
const (
	Production  KeyKind = "production"
	Development KeyKind = "development"
	// Service is the kind of the service's Ed25519 signing keys. What a
	// token they sign may carry is decided by the kind of the API key it
	// is issued for.
	Service KeyKind = "service"
)

// ParseKeyKind returns the API key kind named s: production or
// development.
func ParseKeyKind(s string) (KeyKind, error) {
	switch KeyKind(s) {
	case Production, Development:
		return KeyKind(s), nil
	}
	return "", &InvalidError{Field: "kind", Detail: fmt.Sprintf("unknown key kind %q (want production or development)", s)}
}

// Token lifetimes, measured as exp - iat.
const (
	DefaultTTL = 10 * time.Minute
	MinTTL     = time.Second
	// MaxTTL caps tokens of production keys and of service keys.
	MaxTTL = 24 * time.Hour
	// MaxTTLDevelopment caps development tokens: those of development
	// keys, and any token marked as development.
	MaxTTLDevelopment = time.Hour
)

// DevelopmentForbidden are the permissions a development key never grants.
const DevelopmentForbidden = Moderate | Set(1<<Invite|1<<BroadcastManage|1<<APIWrite)

// MaxTTLFor is the longest lifetime a key of kind may give a token.
func MaxTTLFor(kind KeyKind) time.Duration {
	if kind == Development {
		return MaxTTLDevelopment
	}
	return MaxTTL
}

// Audience says what a token is for.
type Audience string

// The audiences (VideoSDK's rtc and crawler roles).
const (
	// AudienceRTC tokens join rooms and carry no api.* permission.
	AudienceRTC Audience = "rtc"
	// AudienceAPI tokens call server-side APIs and carry only api.* permissions.
	AudienceAPI Audience = "api"
)

// APIPermissions are the permissions of server-API tokens.
const APIPermissions = Set(1<<APIRead | 1<<APIWrite)

// ParseAudience returns the audience named s; empty means AudienceRTC.
func ParseAudience(s string) (Audience, error) {
	switch Audience(s) {
	case "", AudienceRTC:
		return AudienceRTC, nil
	case AudienceAPI:
		return AudienceAPI, nil
	}
	return "", &InvalidError{Field: "audience", Detail: fmt.Sprintf("unknown audience %q (want rtc or api)", s)}
}

// Holder is whoever gives rights away: an API key, a token holder inviting a
// guest, a moderator changing a peer's role.
type Holder struct {
	Permissions Set
	Rank        int
}

// KeyHolder is what an API key of kind may give: everything for a production
// key, everything but DevelopmentForbidden for a development key.
func KeyHolder(kind KeyKind) Holder {
	if kind == Development {
		return Holder{Permissions: All.Minus(DevelopmentForbidden), Rank: MaxRank}
	}
	return Holder{Permissions: All, Rank: MaxRank}
}

// CanGrant enforces no escalation: h may give role r plus extra only if r's
// rank is at most h's and h holds every permission given.
func CanGrant(h Holder, r Role, extra Set) error {
	if r.Rank > h.Rank {
		return &ForbiddenError{Reason: ReasonEscalation,
			Detail: fmt.Sprintf("cannot grant role %q (rank %d) above own rank %d", r.Name, r.Rank, h.Rank)}
	}
	if p, ok := r.Permissions.Union(extra).Minus(h.Permissions).First(); ok {
		return &ForbiddenError{Reason: ReasonEscalation, Missing: p,
			Detail: fmt.Sprintf("cannot grant permission %s without holding it", p)}
	}
	return nil
}

// Request is what a minter asks a token to carry.
type Request struct {
	Role Role
	// Extra permissions on top of the role's.
	Extra       Set
	Rooms       []string
	Participant string
	User        UserType
	Audience    Audience
	TTL         time.Duration
}

// Resolve applies every rule to r for a token minted by h with a key of
// kind, and returns the grants the token carries.
//
// A development key's limits strip what the role would give beyond them (a
// host's token from a development key is a host without moderation), but
// asking for such a permission explicitly is refused. The audience keeps
// api.* permissions apart from media ones. Anonymous users must be bound to
// rooms and may only join and watch.
func Resolve(h Holder, kind KeyKind, r Request) (Grants, error) {
	if r.TTL < MinTTL || r.TTL > MaxTTLFor(kind) {
		return Grants{}, &InvalidError{Field: "ttl", Detail: fmt.Sprintf("ttl %s is outside [%s, %s] for a %s key", r.TTL, MinTTL, MaxTTLFor(kind), kind)}
	}
	if err := validRooms(r.Rooms); err != nil {
		return Grants{}, err
	}
	if r.Participant != "" {
		if err := CheckName("participant_id", r.Participant); err != nil {
			return Grants{}, err
		}
	}
	if kind == Development {
		if p, ok := (r.Extra & DevelopmentForbidden).First(); ok {
			return Grants{}, &ForbiddenError{Reason: ReasonDevelopmentLimit, Missing: p,
				Detail: fmt.Sprintf("development keys cannot grant %s", p)}
		}
	}
	role := r.Role
	if kind == Development {
		role.Permissions = role.Permissions.Minus(DevelopmentForbidden)
	}
	if err := CanGrant(h, role, r.Extra); err != nil {
		return Grants{}, err
	}
	perms := role.Permissions.Union(r.Extra)
	if r.Audience == AudienceAPI {
		perms &= APIPermissions
		if perms == 0 {
			return Grants{}, &ForbiddenError{Reason: ReasonAudienceMismatch, Missing: APIRead,
				Detail: fmt.Sprintf("role %q holds no api.* permission for an api token", r.Role.Name)}
		}
	} else {
		perms = perms.Minus(APIPermissions)
	}
	user := r.User
	if user == "" {
		user = Authenticated
	}
	if user == Anonymous {
		if len(r.Rooms) == 0 {
			return Grants{}, &InvalidError{Field: "rooms", Detail: "anonymous users must be bound to at least one room"}
		}
		if p, ok := perms.Minus(AnonymousAllowed).First(); ok {
			return Grants{}, &ForbiddenError{Reason: ReasonAnonymousLimit, Missing: p,
				Detail: fmt.Sprintf("anonymous users may only join and consume; role %q grants %s", r.Role.Name, p)}
		}
	}
	return Grants{Role: r.Role.Name, Permissions: perms, Rooms: r.Rooms, Participant: r.Participant, User: user}, nil
}

func validRooms(rooms []string) error {
	if rooms != nil && len(rooms) == 0 {
		return &InvalidError{Field: "rooms", Detail: "rooms, when given, must name at least one room"}
	}
	for _, room := range rooms {
		if fault := nameFault(room); fault != "" {
			return &InvalidError{Field: "rooms", Detail: fmt.Sprintf("room %q: %s", room, fault)}
		}
	}
	return nil
}
