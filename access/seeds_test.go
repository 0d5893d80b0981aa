package access

import (
	"errors"
	"slices"
	"testing"
)

// NativeFrame, "Permission Details", row by row. Create calls is
// room.create, produce video and audio are produce.camera and
// produce.microphone, consume video and audio are consume.
func TestNativeFramePermissionDetails(t *testing.T) {
	columns := []string{"broadcaster", "viewer", "private-viewer", "conference-owner", "conference-participant"}
	rows := []struct {
		permission string
		p          Permission
		yes        []bool
	}{
		{"Create calls", RoomCreate, []bool{true, false, false, true, false}},
		{"Produce video", ProduceCamera, []bool{true, false, true, true, true}},
		{"Produce audio", ProduceMicrophone, []bool{true, false, true, true, true}},
		{"Consume video", Consume, []bool{true, true, true, true, true}},
		{"Consume audio", Consume, []bool{true, true, true, true, true}},
	}
	for _, row := range rows {
		for i, col := range columns {
			if got := mustRole(t, col).Permissions.Has(row.p); got != row.yes[i] {
				t.Errorf("%s / %s = %v, table says %v", row.permission, col, got, row.yes[i])
			}
		}
	}
}

// NativeFrame, "Available Scopes": each scope's description as properties.
func TestNativeFrameScopes(t *testing.T) {
	rows := []struct {
		scope        string
		create       bool
		produce      bool
		moderate     bool
		maxProducers int
	}{
		{"broadcaster", true, true, false, 0},
		{"viewer", false, false, false, 0},
		{"private-broadcaster", true, true, false, 1},
		{"private-viewer", false, true, false, 0},
		{"conference-owner", true, true, true, 10},
		{"conference-participant", false, true, false, 0},
		{"admin", false, false, true, 0},
	}
	for _, row := range rows {
		r := mustRole(t, row.scope)
		if got := r.Permissions.Has(RoomCreate); got != row.create {
			t.Errorf("%s creates calls = %v", row.scope, got)
		}
		if got := r.Permissions.Contains(Produce); got != row.produce {
			t.Errorf("%s produces = %v", row.scope, got)
		}
		if got := r.Permissions.Has(ModeratePermissions); got != row.moderate {
			t.Errorf("%s manages peer permissions = %v", row.scope, got)
		}
		if !r.Permissions.Has(Consume) {
			t.Errorf("%s cannot consume", row.scope)
		}
		if r.Room.MaxProducers != row.maxProducers {
			t.Errorf("%s max producers = %d, want %d", row.scope, r.Room.MaxProducers, row.maxProducers)
		}
	}
}

// NativeFrame, "Scope Mismatch": a viewer token used for broadcasting fails
// with a permission error.
func TestNativeFrameScopeMismatch(t *testing.T) {
	g := Grants{Role: Viewer, Permissions: mustRole(t, Viewer).Permissions}
	err := g.Check("stream-1", "", ProduceCamera)
	var fe *ForbiddenError
	if !errors.As(err, &fe) || fe.Reason != ReasonMissingPermission || fe.Missing != ProduceCamera {
		t.Fatalf("err = %v, want missing produce.camera", err)
	}
}

// Huddle01, "Role": each role's description as properties.
func TestHuddleRoles(t *testing.T) {
	rows := []struct {
		role                                    string
		admin, cam, mic, screen, send, recv, md bool
	}{
		{"host", true, true, true, true, true, true, true},
		{"coHost", true, true, true, true, true, true, true},
		{"guest", false, true, true, true, true, true, true},
		{"speaker", false, false, true, false, true, true, true},
		{"listener", false, false, false, false, true, true, false},
		{"bot", false, false, false, false, false, false, false},
	}
	for _, row := range rows {
		r := mustRole(t, RoleAlias(row.role))
		got := []bool{r.Permissions.Contains(Moderate), r.Permissions.Has(ProduceCamera), r.Permissions.Has(ProduceMicrophone),
			r.Permissions.Has(ProduceScreen), r.Permissions.Has(DataSend), r.Permissions.Has(DataReceive), r.Permissions.Has(MetadataUpdate)}
		want := []bool{row.admin, row.cam, row.mic, row.screen, row.send, row.recv, row.md}
		if !slices.Equal(got, want) {
			t.Errorf("%s: admin,cam,mic,screen,send,recv,metadata = %v, want %v", row.role, got, want)
		}
		if !r.Permissions.Has(Consume) {
			t.Errorf("%s cannot consume", row.role)
		}
	}
	// "Co-hosts ... can't update role to host."
	cohost, host := mustRole(t, CoHost), mustRole(t, Host)
	if err := CanGrant(Holder{Permissions: cohost.Permissions, Rank: cohost.Rank}, host, 0); !errors.Is(err, ErrForbidden) {
		t.Errorf("co-host granting host: %v", err)
	}
}

// Huddle01, "Permissions": each permission of the access token.
func TestHuddlePermissions(t *testing.T) {
	all := HuddleSources{Cam: true, Mic: true, Screen: true}
	rows := []struct {
		name string
		in   HuddlePermissions
		want Set
	}{
		{"admin", HuddlePermissions{Admin: true}, Moderate},
		{"canConsume", HuddlePermissions{CanConsume: true}, Of(Consume)},
		{"canProduce", HuddlePermissions{CanProduce: true, CanProduceSources: all}, Produce},
		{"canProduceSources cam", HuddlePermissions{CanProduce: true, CanProduceSources: HuddleSources{Cam: true}}, Of(ProduceCamera)},
		{"canProduceSources mic", HuddlePermissions{CanProduce: true, CanProduceSources: HuddleSources{Mic: true}}, Of(ProduceMicrophone)},
		{"canProduceSources screen", HuddlePermissions{CanProduce: true, CanProduceSources: HuddleSources{Screen: true}}, Of(ProduceScreen)},
		{"sources without canProduce", HuddlePermissions{CanProduceSources: all}, 0},
		{"canRecvData", HuddlePermissions{CanRecvData: true}, Of(DataReceive)},
		{"canSendData", HuddlePermissions{CanSendData: true}, Of(DataSend)},
		{"canUpdateMetadata", HuddlePermissions{CanUpdateMetadata: true}, Of(MetadataUpdate)},
	}
	for _, row := range rows {
		if got := row.in.Set(); got != row.want {
			t.Errorf("%s = %s, want %s", row.name, got, row.want)
		}
	}
	// The seed's example token (host with every flag on) is exactly the host's media rights.
	example := HuddlePermissions{Admin: true, CanConsume: true, CanProduce: true, CanProduceSources: all,
		CanRecvData: true, CanSendData: true, CanUpdateMetadata: true}
	hostMedia := mustRole(t, Host).Permissions.Minus(Of(RoomCreate, RoomJoin, Invite, BroadcastManage, APIRead, APIWrite))
	if example.Set() != hostMedia {
		t.Errorf("example = %s, want %s", example.Set(), hostMedia)
	}
}

// VideoSDK: allow_join / ask_join / allow_mod and the rtc / crawler roles.
func TestVideoSDK(t *testing.T) {
	rows := []struct {
		perms     []string
		want      Set
		admission Admission
	}{
		{[]string{"allow_join"}, Of(RoomJoin, ModerateAdmit), Direct},
		{[]string{"ask_join"}, Of(RoomAskJoin), Wait},
		{[]string{"allow_mod"}, Of(ModerateMute), Denied},
		{[]string{"allow_join", "ask_join"}, Of(RoomJoin, RoomAskJoin, ModerateAdmit), Direct},
	}
	for _, row := range rows {
		got, err := VideoSDKPermissions(row.perms)
		if err != nil || got != row.want {
			t.Errorf("%v = %s, %v; want %s", row.perms, got, err, row.want)
		}
		if a := AdmissionOf(got); a != row.admission {
			t.Errorf("%v admission = %s, want %s", row.perms, a, row.admission)
		}
	}
	if _, err := VideoSDKPermissions([]string{"allow_everything"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown permission err = %v", err)
	}
	auds := []struct {
		roles []string
		want  []Audience
	}{
		{nil, []Audience{AudienceRTC}},
		{[]string{"rtc"}, []Audience{AudienceRTC}},
		{[]string{"crawler"}, []Audience{AudienceAPI}},
		{[]string{"crawler", "rtc"}, []Audience{AudienceAPI, AudienceRTC}},
	}
	for _, row := range auds {
		got, err := VideoSDKAudiences(row.roles)
		if err != nil || !slices.Equal(got, row.want) {
			t.Errorf("%v = %v, %v", row.roles, got, err)
		}
	}
	if _, err := VideoSDKAudiences([]string{"admin"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown role err = %v", err)
	}
}

// Stream: authenticated, guest and anonymous users; "!anon" with call_cids.
func TestStreamUsers(t *testing.T) {
	typ, rooms, err := StreamUser("!anon", []string{"livestream:123"})
	if err != nil || typ != Anonymous || !slices.Equal(rooms, []string{"livestream:123"}) {
		t.Fatalf("anonymous = %v %v %v", typ, rooms, err)
	}
	if _, _, err := StreamUser("!anon", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("anonymous without call_cids: %v", err)
	}
	if typ, _, err := StreamUser("sara", nil); err != nil || typ != Authenticated {
		t.Errorf("sara = %v %v", typ, err)
	}
	if _, _, err := StreamUser("", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty user id: %v", err)
	}
	for _, s := range []string{"", "authenticated", "guest", "anonymous"} {
		if _, err := ParseUserType(s); err != nil {
			t.Errorf("ParseUserType(%q): %v", s, err)
		}
	}
	if _, err := ParseUserType("robot"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseUserType(robot): %v", err)
	}
	// Stream's anonymous example is a viewer; its grants resolve to join + consume in its calls.
	g, err := Resolve(KeyHolder(Production), Production, Request{Role: mustRole(t, Viewer), Rooms: rooms, User: Anonymous, TTL: DefaultTTL})
	if err != nil || g.Permissions != AnonymousAllowed || g.InRoom("livestream:999") {
		t.Errorf("anonymous viewer = %+v, %v", g, err)
	}
}

// API.stream, "Permission Roles": the matrix's columns mapped onto the
// vocabulary (LiveAPI/LayoutAPI read and write are api.read and api.write,
// Join WebRTC is room.join, Start WebRTC is room.create).
func TestAPIStreamRoleMatrix(t *testing.T) {
	columns := []Permission{APIRead, APIRead, RoomJoin, APIWrite, APIWrite, Invite, BroadcastManage, RoomCreate}
	rows := []struct {
		role string
		yes  []bool
	}{
		{"HOST", []bool{true, true, true, true, true, true, true, true}},
		{"COHOST", []bool{true, true, true, true, true, true, true, true}},
		{"CONTRIBUTOR", []bool{true, true, true, false, false, false, false, false}},
		{"GUEST", []bool{false, false, true, false, false, false, false, false}},
		{"VIEWER", []bool{false, false, true, false, false, false, false, false}},
	}
	for _, row := range rows {
		r := mustRole(t, RoleAlias(row.role))
		for i, p := range columns {
			if got := r.Permissions.Has(p); got != row.yes[i] {
				t.Errorf("%s / %s = %v, want %v", row.role, p, got, row.yes[i])
			}
		}
	}
}
