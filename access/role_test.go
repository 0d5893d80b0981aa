package access

import (
	"errors"
	"strings"
	"testing"
)

func mustRole(t *testing.T, name string) Role {
	t.Helper()
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Role(name)
	if err != nil {
		t.Fatalf("role %q: %v", name, err)
	}
	return r
}

func mustSet(t *testing.T, names string) Set {
	t.Helper()
	s, err := ParseSet(strings.Fields(names))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The built-in roles table of DESIGN.md, row by row
// (produce = camera+microphone+screen, moderate.* = admit+mute+kick+permissions).
func TestBuiltinRolesMatchDesignTable(t *testing.T) {
	const produce = " produce.camera produce.microphone produce.screen"
	const moderate = " moderate.admit moderate.mute moderate.kick moderate.permissions"
	const data = " data.send data.receive"
	const everythingButAsk = "room.create room.join" + produce + " consume" + data +
		" metadata.update" + moderate + " invite broadcast.manage api.read api.write"
	rows := []struct {
		role  string
		perms string
		room  RoomDefaults
	}{
		{"broadcaster", "room.create room.join consume" + produce, RoomDefaults{Type: RoomLivestream}},
		{"viewer", "room.join consume", RoomDefaults{}},
		{"private-broadcaster", "room.create room.join consume" + produce, RoomDefaults{Type: RoomPrivate, MaxProducers: 1}},
		{"private-viewer", "room.join consume" + produce, RoomDefaults{}},
		{"conference-owner", "room.create room.join consume" + produce + moderate, RoomDefaults{Type: RoomConference, MaxProducers: 10}},
		{"conference-participant", "room.join consume" + produce, RoomDefaults{}},
		{"admin", "room.join consume" + moderate, RoomDefaults{}},
		{"host", everythingButAsk, RoomDefaults{}},
		{"co-host", everythingButAsk, RoomDefaults{}},
		{"guest", "room.join consume metadata.update" + produce + data, RoomDefaults{}},
		{"speaker", "room.join produce.microphone consume metadata.update" + data, RoomDefaults{}},
		{"listener", "room.join consume" + data, RoomDefaults{}},
		{"bot", "room.join consume", RoomDefaults{}},
		{"contributor", "room.join consume api.read" + produce + data, RoomDefaults{}},
	}
	if got := len(Builtin()); got != len(rows) {
		t.Fatalf("catalog has %d built-in roles, table has %d", got, len(rows))
	}
	for _, row := range rows {
		t.Run(row.role, func(t *testing.T) {
			r := mustRole(t, row.role)
			if want := mustSet(t, row.perms); r.Permissions != want {
				t.Errorf("permissions = %s, want %s", r.Permissions, want)
			}
			if r.Room != row.room {
				t.Errorf("room defaults = %+v, want %+v", r.Room, row.room)
			}
			if !r.Builtin {
				t.Error("not marked built-in")
			}
		})
	}
}

func TestRankOrder(t *testing.T) {
	above := [][2]string{
		{"host", "co-host"},
		{"co-host", "admin"},
		{"admin", "conference-participant"},
		{"conference-owner", "conference-participant"},
		{"broadcaster", "viewer"},
		{"private-broadcaster", "private-viewer"},
		{"guest", "speaker"},
		{"speaker", "listener"},
		{"listener", "bot"},
	}
	for _, pair := range above {
		hi, lo := mustRole(t, pair[0]), mustRole(t, pair[1])
		if hi.Rank <= lo.Rank {
			t.Errorf("%s rank %d should be above %s rank %d", hi.Name, hi.Rank, lo.Name, lo.Rank)
		}
	}
}

func TestCustomRoles(t *testing.T) {
	good := Role{Name: "stage-manager", Permissions: Of(RoomJoin, ModerateMute), Rank: 55}
	c, err := NewCatalog(good)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Role("stage-manager")
	if err != nil || r.Permissions != good.Permissions || r.Rank != 55 || r.Builtin {
		t.Fatalf("custom role = %+v, %v", r, err)
	}
	if roles := c.Roles(); roles[0].Name != Host || len(roles) != len(builtins)+1 {
		t.Errorf("Roles() = %d roles starting with %q", len(roles), roles[0].Name)
	}
	bad := []struct {
		name  string
		role  Role
		field string
	}{
		{"shadows built-in", Role{Name: "host", Permissions: Of(RoomJoin), Rank: 1}, "name"},
		{"uppercase", Role{Name: "Stage", Permissions: Of(RoomJoin), Rank: 1}, "name"},
		{"empty name", Role{Permissions: Of(RoomJoin), Rank: 1}, "name"},
		{"too long", Role{Name: strings.Repeat("a", 65), Permissions: Of(RoomJoin)}, "name"},
		{"rank above max", Role{Name: "boss", Permissions: Of(RoomJoin), Rank: MaxRank + 1}, "rank"},
		{"negative rank", Role{Name: "boss", Permissions: Of(RoomJoin), Rank: -1}, "rank"},
		{"no permissions", Role{Name: "nobody", Rank: 1}, "permissions"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCatalog(tc.role)
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Fatalf("err = %v, want InvalidError on %q", err, tc.field)
			}
		})
	}
	if _, err := c.Role("nope"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown role err = %v", err)
	}
}

func TestPermissionNames(t *testing.T) {
	for _, p := range Vocabulary() {
		got, err := ParsePermission(p.String())
		if err != nil || got != p {
			t.Errorf("round trip of %s = %v, %v", p, got, err)
		}
	}
	if len(Vocabulary()) != 18 {
		t.Errorf("vocabulary has %d permissions, DESIGN.md lists 18", len(Vocabulary()))
	}
	var unknown *UnknownPermissionError
	if _, err := ParsePermission("produce.video"); !errors.As(err, &unknown) || unknown.Name != "produce.video" {
		t.Errorf("err = %v", err)
	}
	names := Of(Consume, RoomJoin, APIRead).Names()
	if strings.Join(names, " ") != "api.read consume room.join" {
		t.Errorf("Names() = %v, want sorted", names)
	}
	if p, ok := Set(0).First(); ok {
		t.Errorf("empty set First() = %v", p)
	}
}

func TestValidRoleName(t *testing.T) {
	for _, r := range Builtin() {
		if !ValidRoleName(r.Name) {
			t.Errorf("built-in role %q is not a role name", r.Name)
		}
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"stage-manager", true},
		{"no-such-role", true},
		{"a", true},
		{"9lives", true},
		{"a.b_c-d", true},
		{strings.Repeat("r", MaxRoleNameLen), true},
		{"", false},
		{strings.Repeat("r", MaxRoleNameLen+1), false},
		{"Host", false},
		{"HOST", false},
		{"-host", false},
		{".host", false},
		{"_host", false},
		{"co host", false},
		{"co/host", false},
		{"rôle", false},
		{"host\n", false},
	} {
		if got := ValidRoleName(tc.name); got != tc.ok {
			t.Errorf("ValidRoleName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
