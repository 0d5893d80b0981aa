package access

import (
	"errors"
	"testing"
	"time"
)

func holderOf(r Role) Holder { return Holder{Permissions: r.Permissions, Rank: r.Rank} }

func TestCanGrant(t *testing.T) {
	rows := []struct {
		holder, role string
		extra        Set
		ok           bool
	}{
		{"host", "host", 0, true},
		{"host", "co-host", 0, true},
		{"co-host", "co-host", 0, true},
		{"co-host", "host", 0, false},
		{"co-host", "guest", Of(APIWrite), true},
		{"admin", "viewer", 0, true},
		{"admin", "guest", 0, false},          // admin never produces, so cannot give produce
		{"guest", "guest", Of(Invite), false}, // guest lacks invite
		{"guest", "speaker", 0, true},
		{"speaker", "guest", 0, false}, // guest outranks speaker
		{"viewer", "bot", 0, true},
		{"bot", "viewer", 0, true},
	}
	for _, row := range rows {
		err := CanGrant(holderOf(mustRole(t, row.holder)), mustRole(t, row.role), row.extra)
		if (err == nil) != row.ok {
			t.Errorf("%s grants %s+%s: err = %v, want ok=%v", row.holder, row.role, row.extra, err, row.ok)
		}
		var fe *ForbiddenError
		if err != nil && (!errors.As(err, &fe) || fe.Reason != ReasonEscalation) {
			t.Errorf("%s grants %s: err = %v, want escalation", row.holder, row.role, err)
		}
	}
	err := CanGrant(holderOf(mustRole(t, Guest)), mustRole(t, Guest), Of(ModerateKick))
	var fe *ForbiddenError
	if !errors.As(err, &fe) || fe.Missing != ModerateKick {
		t.Errorf("err = %v, want it to name moderate.kick", err)
	}
}

func TestResolve(t *testing.T) {
	host, viewer, contributor := mustRole(t, Host), mustRole(t, Viewer), mustRole(t, Contributor)
	prod, dev := KeyHolder(Production), KeyHolder(Development)
	rows := []struct {
		name   string
		holder Holder
		kind   KeyKind
		req    Request
		want   Set
		reason Reason // expected ForbiddenError reason
		field  string // expected InvalidError field
	}{
		{name: "viewer", holder: prod, kind: Production, req: Request{Role: viewer, TTL: DefaultTTL}, want: Of(RoomJoin, Consume)},
		{name: "extra within holder", holder: prod, kind: Production, req: Request{Role: viewer, Extra: Of(DataSend), TTL: DefaultTTL}, want: Of(RoomJoin, Consume, DataSend)},
		{name: "host on rtc drops api.*", holder: prod, kind: Production, req: Request{Role: host, TTL: DefaultTTL}, want: host.Permissions.Minus(APIPermissions)},
		{name: "host on api keeps only api.*", holder: prod, kind: Production, req: Request{Role: host, Audience: AudienceAPI, TTL: DefaultTTL}, want: APIPermissions},
		{name: "contributor on api", holder: prod, kind: Production, req: Request{Role: contributor, Audience: AudienceAPI, TTL: DefaultTTL}, want: Of(APIRead)},
		{name: "viewer on api", holder: prod, kind: Production, req: Request{Role: viewer, Audience: AudienceAPI, TTL: DefaultTTL}, reason: ReasonAudienceMismatch},
		{name: "development host loses moderation", holder: dev, kind: Development, req: Request{Role: host, TTL: DefaultTTL},
			want: host.Permissions.Minus(DevelopmentForbidden).Minus(APIPermissions)},
		{name: "development extra moderation refused", holder: dev, kind: Development, req: Request{Role: viewer, Extra: Of(ModerateMute), TTL: DefaultTTL}, reason: ReasonDevelopmentLimit},
		{name: "development extra invite refused", holder: dev, kind: Development, req: Request{Role: viewer, Extra: Of(Invite), TTL: DefaultTTL}, reason: ReasonDevelopmentLimit},
		{name: "development ttl cap", holder: dev, kind: Development, req: Request{Role: viewer, TTL: 2 * time.Hour}, field: "ttl"},
		{name: "development ttl at cap", holder: dev, kind: Development, req: Request{Role: viewer, TTL: time.Hour}, want: Of(RoomJoin, Consume)},
		{name: "production ttl cap", holder: prod, kind: Production, req: Request{Role: viewer, TTL: 25 * time.Hour}, field: "ttl"},
		{name: "zero ttl", holder: prod, kind: Production, req: Request{Role: viewer}, field: "ttl"},
		{name: "empty rooms list", holder: prod, kind: Production, req: Request{Role: viewer, Rooms: []string{}, TTL: DefaultTTL}, field: "rooms"},
		{name: "blank room", holder: prod, kind: Production, req: Request{Role: viewer, Rooms: []string{""}, TTL: DefaultTTL}, field: "rooms"},
		{name: "anonymous needs rooms", holder: prod, kind: Production, req: Request{Role: viewer, User: Anonymous, TTL: DefaultTTL}, field: "rooms"},
		{name: "anonymous viewer", holder: prod, kind: Production, req: Request{Role: viewer, User: Anonymous, Rooms: []string{"r"}, TTL: DefaultTTL}, want: AnonymousAllowed},
		{name: "anonymous broadcaster refused", holder: prod, kind: Production, req: Request{Role: mustRole(t, Broadcaster), User: Anonymous, Rooms: []string{"r"}, TTL: DefaultTTL}, reason: ReasonAnonymousLimit},
		{name: "anonymous extra refused", holder: prod, kind: Production, req: Request{Role: viewer, Extra: Of(DataSend), User: Anonymous, Rooms: []string{"r"}, TTL: DefaultTTL}, reason: ReasonAnonymousLimit},
		{name: "inviter cannot give more", holder: holderOf(mustRole(t, Guest)), kind: Production, req: Request{Role: viewer, Extra: Of(ModerateKick), TTL: DefaultTTL}, reason: ReasonEscalation},
		{name: "inviter cannot outrank", holder: holderOf(mustRole(t, Guest)), kind: Production, req: Request{Role: host, TTL: DefaultTTL}, reason: ReasonEscalation},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			g, err := Resolve(row.holder, row.kind, row.req)
			var fe *ForbiddenError
			var inv *InvalidError
			switch {
			case row.reason != "":
				if !errors.As(err, &fe) || fe.Reason != row.reason {
					t.Fatalf("err = %v, want forbidden %s", err, row.reason)
				}
			case row.field != "":
				if !errors.As(err, &inv) || inv.Field != row.field {
					t.Fatalf("err = %v, want invalid %s", err, row.field)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if g.Permissions != row.want {
					t.Errorf("permissions = %s, want %s", g.Permissions, row.want)
				}
				if g.Role != row.req.Role.Name || g.User == "" {
					t.Errorf("grants = %+v", g)
				}
			}
		})
	}
}

func TestGrantsCheck(t *testing.T) {
	g := Grants{Role: Guest, Permissions: mustRole(t, Guest).Permissions, Rooms: []string{"a", "b"}, Participant: "p1"}
	rows := []struct {
		name, room, participant string
		p                       Permission
		reason                  Reason
	}{
		{"allowed", "a", "p1", ProduceCamera, ""},
		{"no participant claimed", "b", "", Consume, ""},
		{"other room", "c", "p1", Consume, ReasonRoomMismatch},
		{"other participant", "a", "p2", Consume, ReasonParticipantMismatch},
		{"missing permission", "a", "p1", ModerateKick, ReasonMissingPermission},
	}
	for _, row := range rows {
		err := g.Check(row.room, row.participant, row.p)
		if row.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", row.name, err)
			}
			continue
		}
		var fe *ForbiddenError
		if !errors.As(err, &fe) || fe.Reason != row.reason || !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: err = %v, want %s", row.name, err, row.reason)
		}
	}
	anyRoom := Grants{Permissions: Of(RoomJoin)}
	if err := anyRoom.Check("whatever", "someone", RoomJoin); err != nil {
		t.Errorf("unbound grants: %v", err)
	}
}

func TestAdmission(t *testing.T) {
	rows := []struct {
		s    Set
		want Admission
	}{
		{Of(RoomJoin), Direct},
		{Of(RoomJoin, RoomAskJoin), Direct}, // room.join never waits
		{Of(RoomAskJoin), Wait},
		{Of(Consume), Denied},
	}
	for _, row := range rows {
		if got := AdmissionOf(row.s); got != row.want {
			t.Errorf("%s = %s, want %s", row.s, got, row.want)
		}
	}
}

func TestParsers(t *testing.T) {
	if _, err := ParseKeyKind("staging"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseKeyKind: %v", err)
	}
	if k, err := ParseKeyKind("development"); err != nil || k != Development {
		t.Errorf("ParseKeyKind(development) = %v, %v", k, err)
	}
	if a, err := ParseAudience(""); err != nil || a != AudienceRTC {
		t.Errorf("ParseAudience('') = %v, %v", a, err)
	}
	if _, err := ParseAudience("crawler"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseAudience(crawler): %v", err)
	}
	if _, err := ParseSet([]string{"room.join", "nope"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseSet: %v", err)
	}
}
