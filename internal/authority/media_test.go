package authority_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
	"github.com/stagedoor/stagedoor/token"
)

// format records the media grants it signs.
type format struct {
	grants []authority.MediaGrant
	err    error
}

func (f *format) Name() string { return "test" }

func (f *format) Sign(_ context.Context, g authority.MediaGrant) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	f.grants = append(f.grants, g)
	return "media:" + g.Identity, nil
}

func (f *format) last(t *testing.T) authority.MediaGrant {
	t.Helper()
	if len(f.grants) == 0 {
		t.Fatal("nothing was signed")
	}
	return f.grants[len(f.grants)-1]
}

func mediaNode(t *testing.T) *node {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newNode(t, s)
}

func (n *node) room(t *testing.T, name string, maxProducers int) {
	t.Helper()
	if _, err := n.auth.CreateRoom(t.Context(), authority.AsKey(n.prod), authority.RoomRequest{Name: name, MaxProducers: maxProducers}); err != nil {
		t.Fatal(err)
	}
}

// stagedoorToken mints a stagedoor token for user in room.
func (n *node) stagedoorToken(t *testing.T, user, role, room string) authority.Issued {
	t.Helper()
	out, err := n.auth.IssueToken(t.Context(), authority.AsKey(n.prod), authority.IssueRequest{UserID: user, Role: role, Rooms: []string{room}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantForbidden(t *testing.T, err error, reason access.Reason) {
	t.Helper()
	var fe *access.ForbiddenError
	if !errors.As(err, &fe) || fe.Reason != reason {
		t.Fatalf("got %v, want a refusal for %s", err, reason)
	}
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ie *access.InvalidError
	if !errors.As(err, &ie) || ie.Field != field {
		t.Fatalf("got %v, want %s refused", err, field)
	}
}

func TestIssueMediaToken(t *testing.T) {
	n := mediaNode(t)
	n.room(t, "open", 0)
	n.room(t, "solo", 1)
	f := &format{}
	issue := func(req authority.IssueRequest) (authority.Issued, error) {
		return n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), req, f)
	}

	out, err := issue(authority.IssueRequest{UserID: "ana", Role: "guest", Rooms: []string{"open"}, Name: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	g := f.last(t)
	if out.AccessToken != "media:ana" || g.Room != "open" || g.Identity != "ana" || g.Claims.ID != out.Claims.ID {
		t.Fatalf("issued %+v from %+v", out, g)
	}
	if !g.Rights.Contains(access.Produce) || !g.Rights.Has(access.Consume) {
		t.Fatalf("rights %v in a room without a producer cap", g.Rights.Names())
	}
	page, err := n.auth.Audit(t.Context(), authority.AuditQuery{AppID: n.app, Action: "token.mint", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if last := page.Entries[0]; last.Action != "token.mint" || !strings.Contains(string(last.Detail), `"format":"test"`) {
		t.Fatalf("audit %+v", last)
	}

	if _, err := issue(authority.IssueRequest{UserID: "ana", Role: "guest", Rooms: []string{"solo"}}); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); !g.Rights.Contains(access.Produce) {
		t.Fatalf("rights %v in a capped room with a free producer slot", g.Rights.Names())
	}
	if _, err := issue(authority.IssueRequest{UserID: "bob", Role: "guest", Rooms: []string{"nowhere-yet"}, ParticipantID: "bob-1"}); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); g.Identity != "bob-1" || !g.Rights.Contains(access.Produce) {
		t.Fatalf("grant %+v for a room not created yet", g)
	}
	if _, err := issue(authority.IssueRequest{UserType: "anonymous", Role: "viewer", Rooms: []string{"open"}}); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); g.Identity != "anon:"+g.Claims.ID {
		t.Fatalf("anonymous identity %q", g.Identity)
	}

	signed := len(f.grants)
	for _, tc := range []struct {
		name  string
		req   authority.IssueRequest
		check func(t *testing.T, err error)
	}{
		{"with a refresh token", authority.IssueRequest{UserID: "a", Role: "guest", Rooms: []string{"open"}, Refresh: true},
			func(t *testing.T, err error) { wantInvalid(t, err, "refresh") }},
		{"for the server API", authority.IssueRequest{UserID: "a", Role: "contributor", Rooms: []string{"open"}, Audience: "api"},
			func(t *testing.T, err error) { wantInvalid(t, err, "audience") }},
		{"for any room", authority.IssueRequest{UserID: "a", Role: "guest"},
			func(t *testing.T, err error) { wantInvalid(t, err, "rooms") }},
		{"for two rooms", authority.IssueRequest{UserID: "a", Role: "guest", Rooms: []string{"open", "solo"}},
			func(t *testing.T, err error) { wantInvalid(t, err, "rooms") }},
		{"an unknown role", authority.IssueRequest{UserID: "a", Role: "emperor", Rooms: []string{"open"}},
			func(t *testing.T, err error) { wantInvalid(t, err, "role") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := issue(tc.req)
			tc.check(t, err)
		})
	}
	if len(f.grants) != signed {
		t.Fatalf("refused requests reached the format: %d signed, want %d", len(f.grants), signed)
	}

	f.err = &access.InvalidError{Field: "format", Detail: "not configured"}
	_, err = issue(authority.IssueRequest{UserID: "ana", Role: "guest", Rooms: []string{"open"}})
	wantInvalid(t, err, "format")
}

func TestMediaTokenWaitsForAdmission(t *testing.T) {
	n := mediaNode(t)
	if _, err := n.auth.SetRole(t.Context(), authority.AsOperator("test"), n.app, "applicant", []string{"room.ask_join", "consume", "produce.camera"}, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := n.auth.SetRole(t.Context(), authority.AsOperator("test"), n.app, "lurker", []string{"consume"}, 5); err != nil {
		t.Fatal(err)
	}
	n.room(t, "stage", 0)
	f := &format{}
	ask := authority.IssueRequest{UserID: "wes", Role: "applicant", Rooms: []string{"stage"}}
	_, err := n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), ask, f)
	wantForbidden(t, err, authority.ReasonNotAdmitted)
	_, err = n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), authority.IssueRequest{UserID: "lou", Role: "lurker", Rooms: []string{"stage"}}, f)
	wantForbidden(t, err, access.ReasonMissingPermission)

	tok := n.stagedoorToken(t, "wes", "applicant", "stage")
	s, err := n.auth.Join(t.Context(), authority.AsToken(tok.AccessToken), "stage")
	if err != nil || !s.Waiting() {
		t.Fatalf("join: %+v %v", s, err)
	}
	_, err = n.auth.SessionMediaToken(t.Context(), authority.AsToken(tok.AccessToken), "stage", s.ID, f)
	wantForbidden(t, err, authority.ReasonNotAdmitted)
	_, err = n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), ask, f)
	wantForbidden(t, err, authority.ReasonNotAdmitted)
	if len(f.grants) != 0 {
		t.Fatalf("signed %d grants for a participant not admitted", len(f.grants))
	}

	if _, err := n.auth.Admit(t.Context(), authority.AsKey(n.prod), "stage", s.ID); err != nil {
		t.Fatal(err)
	}
	out, err := n.auth.SessionMediaToken(t.Context(), authority.AsToken(tok.AccessToken), "stage", s.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); g.Identity != "wes" || !g.Rights.Has(access.RoomAskJoin) || !g.Rights.Has(access.ProduceCamera) {
		t.Fatalf("grant %+v", g)
	}
	view, err := n.auth.Room(t.Context(), authority.AsKey(n.prod), "stage")
	if err != nil {
		t.Fatal(err)
	}
	if got := view.Sessions[0]; !got.TokenExpiresAt.Equal(out.ExpiresAt) {
		t.Fatalf("the session runs on a token expiring %v, want the media token's %v", got.TokenExpiresAt, out.ExpiresAt)
	}
	if _, err := n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), ask, f); err != nil {
		t.Fatalf("an admitted participant's new media token: %v", err)
	}
}

func TestMediaTokenAfterProducerSlot(t *testing.T) {
	n := mediaNode(t)
	n.room(t, "solo", 1)
	f := &format{}
	ana := n.stagedoorToken(t, "ana", "guest", "solo")
	bob := n.stagedoorToken(t, "bob", "guest", "solo")
	sa, err := n.auth.Join(t.Context(), authority.AsToken(ana.AccessToken), "solo")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := n.auth.Join(t.Context(), authority.AsToken(bob.AccessToken), "solo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.auth.Produce(t.Context(), authority.AsToken(ana.AccessToken), "solo", sa.ID, "camera"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.auth.SessionMediaToken(t.Context(), authority.AsToken(ana.AccessToken), "solo", sa.ID, f); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); !g.Rights.Contains(access.Produce) {
		t.Fatalf("the producer's rights %v", g.Rights.Names())
	}
	if _, err := n.auth.SessionMediaToken(t.Context(), authority.AsToken(bob.AccessToken), "solo", sb.ID, f); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); g.Rights&access.Produce != 0 {
		t.Fatalf("rights %v while the only producer slot is taken", g.Rights.Names())
	}
	if _, err := n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), authority.IssueRequest{UserID: "cy", Role: "guest", Rooms: []string{"solo"}}, f); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); g.Rights&access.Produce != 0 || !g.Rights.Has(access.Consume) {
		t.Fatalf("a new token's rights %v while the only producer slot is taken", g.Rights.Names())
	}
	if _, err := n.auth.Unproduce(t.Context(), authority.AsToken(ana.AccessToken), "solo", sa.ID, "camera"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.auth.SessionMediaToken(t.Context(), authority.AsToken(bob.AccessToken), "solo", sb.ID, f); err != nil {
		t.Fatal(err)
	}
	if g := f.last(t); !g.Rights.Contains(access.Produce) {
		t.Fatalf("rights %v once the slot is free again", g.Rights.Names())
	}
}

func TestMediaRights(t *testing.T) {
	perms := []string{"consume", "produce.camera", "produce.microphone", "room.join"}
	producer := authority.Session{ID: "p", State: authority.SessionJoined, Sources: []string{"camera"}}
	for _, tc := range []struct {
		name    string
		max     int
		state   string
		sources []string
		others  []authority.Session
		want    []string
	}{
		{"uncapped", 0, authority.SessionJoined, nil, []authority.Session{producer}, perms},
		{"capped with a free slot", 2, authority.SessionJoined, nil, []authority.Session{producer}, perms},
		{"capped and full", 1, authority.SessionJoined, nil, []authority.Session{producer}, []string{"consume", "room.join"}},
		{"holding the slot", 1, authority.SessionJoined, []string{"camera"}, nil, perms},
		{"waiting", 0, authority.SessionWaiting, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := authority.Session{ID: "s", Permissions: perms, State: tc.state, Sources: tc.sources}
			v := authority.RoomView{Room: authority.Room{MaxProducers: tc.max}, Sessions: append(tc.others, s)}
			got := authority.MediaRights(v, s)
			want, err := access.ParseSet(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("rights %v, want %v", got.Names(), tc.want)
			}
		})
	}
}

func TestJoinMedia(t *testing.T) {
	n := mediaNode(t)
	n.room(t, "stage", 0)
	f := &format{}
	media := func(req authority.IssueRequest) *token.Claims {
		t.Helper()
		out, err := n.auth.IssueMediaToken(t.Context(), authority.AsKey(n.prod), req, f)
		if err != nil {
			t.Fatal(err)
		}
		return out.Claims
	}

	ana := media(authority.IssueRequest{UserID: "ana", Role: "guest", Rooms: []string{"stage"}})
	s, err := n.auth.JoinMedia(t.Context(), ana, "stage")
	if err != nil {
		t.Fatal(err)
	}
	if s.Participant != "ana" || s.State != authority.SessionJoined || s.Role != "guest" {
		t.Fatalf("session %+v", s)
	}
	again, err := n.auth.JoinMedia(t.Context(), media(authority.IssueRequest{UserID: "ana", Role: "guest", Rooms: []string{"stage"}}), "stage")
	if err != nil || again.ID != s.ID {
		t.Fatalf("a second media join made %+v (%v), want session %s again", again, err, s.ID)
	}

	t.Run("revoked", func(t *testing.T) {
		c := media(authority.IssueRequest{UserID: "rex", Role: "guest", Rooms: []string{"stage"}})
		if _, err := n.auth.Revoke(t.Context(), authority.AsKey(n.prod), authority.RevokeRequest{TokenID: c.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.auth.JoinMedia(t.Context(), c, "stage"); !errors.Is(err, authority.ErrRevoked) {
			t.Fatalf("got %v, want revoked", err)
		}
	})
	t.Run("blocked", func(t *testing.T) {
		c := media(authority.IssueRequest{UserID: "bea", Role: "guest", Rooms: []string{"stage"}})
		bs, err := n.auth.JoinMedia(t.Context(), c, "stage")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.auth.Kick(t.Context(), authority.AsKey(n.prod), "stage", bs.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err = n.auth.JoinMedia(t.Context(), c, "stage")
		wantForbidden(t, err, authority.ReasonBlocked)
	})
	t.Run("in another room", func(t *testing.T) {
		_, err := n.auth.JoinMedia(t.Context(), ana, "lobby")
		wantForbidden(t, err, access.ReasonRoomMismatch)
	})
	t.Run("waiting", func(t *testing.T) {
		if _, err := n.auth.SetRole(t.Context(), authority.AsOperator("test"), n.app, "applicant", []string{"room.ask_join", "consume"}, 10); err != nil {
			t.Fatal(err)
		}
		tok := n.stagedoorToken(t, "wes", "applicant", "stage")
		if _, err := n.auth.Join(t.Context(), authority.AsToken(tok.AccessToken), "stage"); err != nil {
			t.Fatal(err)
		}
		_, err := n.auth.JoinMedia(t.Context(), tok.Claims, "stage")
		wantForbidden(t, err, authority.ReasonNotAdmitted)
		solo := n.stagedoorToken(t, "wyn", "applicant", "stage")
		_, err = n.auth.JoinMedia(t.Context(), solo.Claims, "stage")
		wantForbidden(t, err, authority.ReasonNotAdmitted)
	})
	t.Run("a room to create", func(t *testing.T) {
		c := media(authority.IssueRequest{UserID: "pia", Role: "private-broadcaster", Rooms: []string{"pia-live"}})
		ps, err := n.auth.JoinMedia(t.Context(), c, "pia-live")
		if err != nil {
			t.Fatal(err)
		}
		view, err := n.auth.Room(t.Context(), authority.AsKey(n.prod), "pia-live")
		if err != nil {
			t.Fatal(err)
		}
		if view.Room.Type != "private" || view.Room.MaxProducers != 1 || len(view.Sessions) != 1 || view.Sessions[0].ID != ps.ID {
			t.Fatalf("room %+v", view)
		}
		v := media(authority.IssueRequest{UserID: "vic", Role: "viewer", Rooms: []string{"nobody-made"}})
		var nf *authority.NotFoundError
		if _, err := n.auth.JoinMedia(t.Context(), v, "nobody-made"); !errors.As(err, &nf) {
			t.Fatalf("got %v, want the room not found", err)
		}
	})
	t.Run("ended room", func(t *testing.T) {
		n.room(t, "short", 0)
		c := media(authority.IssueRequest{UserID: "eve", Role: "guest", Rooms: []string{"short"}})
		if err := n.auth.EndRoom(t.Context(), authority.AsKey(n.prod), "short"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.auth.JoinMedia(t.Context(), c, "short"); !errors.Is(err, authority.ErrRevoked) {
			t.Fatalf("got %v, want the room's revocation", err)
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		nk, err := n.auth.CreateAPIKey(t.Context(), authority.AsOperator("test"), n.app, access.Production)
		if err != nil {
			t.Fatal(err)
		}
		caller, err := n.auth.Authenticate(nk.APIKey, nk.Secret)
		if err != nil {
			t.Fatal(err)
		}
		out, err := n.auth.IssueMediaToken(t.Context(), authority.AsKey(caller), authority.IssueRequest{UserID: "kim", Role: "guest", Rooms: []string{"stage"}}, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.auth.RevokeAPIKey(t.Context(), authority.AsOperator("test"), nk.APIKey); err != nil {
			t.Fatal(err)
		}
		if _, err := n.auth.JoinMedia(t.Context(), out.Claims, "stage"); !errors.Is(err, authority.ErrRevoked) {
			t.Fatalf("got %v, want the key's revocation", err)
		}
	})
}
