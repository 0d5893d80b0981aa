package storagetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// codeHash is the hash of a test login code.
func codeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// mustLoginCode stores a login code of operator alice, valid for ten
// minutes from now.
func mustLoginCode(t *testing.T, s storage.Storage, code string) storage.LoginCode {
	t.Helper()
	c := storage.LoginCode{Hash: codeHash(code), Operator: "alice", CreatedAt: now(), ExpiresAt: now().Add(10 * time.Minute)}
	noErr(t, s.CreateLoginCode(t.Context(), c, auditEntry("console.login_code", "", "alice")))
	return c
}

// operatorSession is a session of operator alice for a day.
func operatorSession(id string) storage.ConsoleSession {
	return storage.ConsoleSession{ID: id, Operator: "alice", CreatedAt: now(), ExpiresAt: now().Add(24 * time.Hour)}
}

// ownerSession is a session of app1's owner, signed in with key1, for a day.
func ownerSession(id string) storage.ConsoleSession {
	return storage.ConsoleSession{ID: id, AppID: "app1", APIKeyID: "key1", CreatedAt: now(), ExpiresAt: now().Add(24 * time.Hour)}
}

func testConsoleSessions(t *testing.T, open opener) {
	t.Run("LoginCode", func(t *testing.T) {
		s := open(t)
		want := mustLoginCode(t, s, "code-1")
		got, err := s.GetLoginCode(t.Context(), codeHash("code-1"))
		noErr(t, err)
		same(t, got, want)
		_, err = s.GetLoginCode(t.Context(), codeHash("code-2"))
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.CreateLoginCode(t.Context(), want, nil), storage.ErrAlreadyExists)
		for _, c := range []storage.LoginCode{
			{Operator: "alice", ExpiresAt: now()},
			{Hash: codeHash("x"), ExpiresAt: now()},
			{Hash: codeHash("x"), Operator: "alice"},
		} {
			wantErr(t, s.CreateLoginCode(t.Context(), c, nil), storage.ErrInvalid)
		}
	})
	t.Run("RedeemOnce", func(t *testing.T) {
		s := open(t)
		mustLoginCode(t, s, "code-1")
		at, want := now(), operatorSession("ses1")
		noErr(t, s.RedeemLoginCode(t.Context(), codeHash("code-1"), at, want, auditEntry("console.sign_in", "", "ses1")))
		got, err := s.GetConsoleSession(t.Context(), "ses1")
		noErr(t, err)
		same(t, got, want)
		code, err := s.GetLoginCode(t.Context(), codeHash("code-1"))
		noErr(t, err)
		same(t, code.UsedAt, at)
		err = s.RedeemLoginCode(t.Context(), codeHash("code-1"), now(), operatorSession("ses2"), auditEntry("console.sign_in", "", "ses2"))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetConsoleSession(t.Context(), "ses2")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("RedeemRefused", func(t *testing.T) {
		s := open(t)
		c := mustLoginCode(t, s, "code-1")
		bob := operatorSession("ses1")
		bob.Operator = "bob"
		for name, try := range map[string]func() error{
			"unknown code": func() error {
				return s.RedeemLoginCode(t.Context(), codeHash("code-2"), now(), operatorSession("ses1"), nil)
			},
			"expired code": func() error {
				return s.RedeemLoginCode(t.Context(), codeHash("code-1"), c.ExpiresAt, operatorSession("ses1"), nil)
			},
			"another operator": func() error {
				return s.RedeemLoginCode(t.Context(), codeHash("code-1"), now(), bob, nil)
			},
		} {
			if err := try(); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		for _, ses := range []storage.ConsoleSession{ownerSession("ses1"), {ID: "ses1", Operator: "alice"}, {Operator: "alice", ExpiresAt: now()}} {
			wantErr(t, s.RedeemLoginCode(t.Context(), codeHash("code-1"), now(), ses, nil), storage.ErrInvalid)
		}
		code, err := s.GetLoginCode(t.Context(), codeHash("code-1"))
		noErr(t, err)
		if !code.UsedAt.IsZero() {
			t.Fatal("a refused redemption used the code")
		}
		same(t, auditActions(t, s, ""), []string{"console.login_code"})
	})
	t.Run("RedeemRace", func(t *testing.T) {
		s := open(t)
		mustLoginCode(t, s, "code-1")
		errs := race(func(i int) error {
			return s.RedeemLoginCode(t.Context(), codeHash("code-1"), now(), operatorSession(fmt.Sprintf("ses%d", i)), nil)
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrNotFound):
				t.Fatalf("redeem: %v", err)
			}
		}
		live, err := s.ListConsoleSessions(t.Context(), "", now())
		noErr(t, err)
		if won != 1 || len(live) != 1 {
			t.Fatalf("%d redemptions won and %d sessions stored, want 1 and 1", won, len(live))
		}
	})
	t.Run("OwnerSessions", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		mustAPIKey(t, s, "app1", "key1")
		want := ownerSession("ses1")
		noErr(t, s.CreateOwnerSession(t.Context(), want, 2, auditEntry("console.sign_in", "app1", "ses1")))
		got, err := s.GetConsoleSession(t.Context(), "ses1")
		noErr(t, err)
		same(t, got, want)
		noErr(t, s.CreateOwnerSession(t.Context(), ownerSession("ses2"), 2, nil))
		wantErr(t, s.CreateOwnerSession(t.Context(), ownerSession("ses3"), 2, nil), storage.ErrConflict)
		wantErr(t, s.CreateOwnerSession(t.Context(), ownerSession("ses1"), 5, nil), storage.ErrAlreadyExists)
		wrongApp := ownerSession("ses4")
		wrongApp.AppID = "app2"
		wantErr(t, s.CreateOwnerSession(t.Context(), wrongApp, 5, nil), storage.ErrNotFound)
		unknown := ownerSession("ses4")
		unknown.APIKeyID = "key9"
		wantErr(t, s.CreateOwnerSession(t.Context(), unknown, 5, nil), storage.ErrNotFound)
		wantErr(t, s.CreateOwnerSession(t.Context(), operatorSession("ses4"), 5, nil), storage.ErrInvalid)
		_, err = s.RevokeAPIKey(t.Context(), "key1", now(), now().Add(time.Hour), nil)
		noErr(t, err)
		wantErr(t, s.CreateOwnerSession(t.Context(), ownerSession("ses4"), 5, nil), storage.ErrNotFound)
		same(t, auditActions(t, s, "app1"), []string{"console.sign_in"})
	})
	t.Run("OwnerSessionRace", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		const limit = 3
		errs := race(func(i int) error {
			return s.CreateOwnerSession(t.Context(), ownerSession(fmt.Sprintf("ses%d", i)), limit, nil)
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrConflict):
				t.Fatalf("sign in: %v", err)
			}
		}
		if won != limit {
			t.Fatalf("%d sign-ins won, want %d", won, limit)
		}
	})
	t.Run("ListRevokePrune", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		mustLoginCode(t, s, "code-1")
		noErr(t, s.RedeemLoginCode(t.Context(), codeHash("code-1"), now(), operatorSession("ses1"), nil))
		noErr(t, s.CreateOwnerSession(t.Context(), ownerSession("ses2"), 5, nil))
		short := ownerSession("ses3")
		short.ExpiresAt = now().Add(time.Minute)
		noErr(t, s.CreateOwnerSession(t.Context(), short, 5, nil))
		ids := func(appID string, at time.Time) []string {
			live, err := s.ListConsoleSessions(t.Context(), appID, at)
			noErr(t, err)
			var out []string
			for _, l := range live {
				out = append(out, l.ID)
			}
			return out
		}
		same(t, ids("", now()), []string{"ses1", "ses2", "ses3"})
		same(t, ids("app1", now()), []string{"ses2", "ses3"})
		same(t, ids("app1", now().Add(2*time.Minute)), []string{"ses2"})

		at := now()
		revoked, err := s.RevokeConsoleSession(t.Context(), "ses2", at, auditEntry("console.sign_out", "app1", "ses2"))
		noErr(t, err)
		same(t, revoked.RevokedAt, at)
		if revoked.Live(now()) {
			t.Fatal("a revoked session is live")
		}
		_, err = s.RevokeConsoleSession(t.Context(), "ses2", now(), auditEntry("console.sign_out", "app1", "ses2"))
		wantErr(t, err, storage.ErrConflict)
		_, err = s.RevokeConsoleSession(t.Context(), "nope", now(), nil)
		wantErr(t, err, storage.ErrNotFound)
		same(t, ids("app1", now()), []string{"ses3"})
		same(t, auditActions(t, s, "app1"), []string{"console.sign_out"})

		n, err := s.PruneConsole(t.Context(), now().Add(time.Hour))
		noErr(t, err)
		same(t, n, 2) // the code and ses3
		_, err = s.GetConsoleSession(t.Context(), "ses3")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetLoginCode(t.Context(), codeHash("code-1"))
		wantErr(t, err, storage.ErrNotFound)
		same(t, ids("", now()), []string{"ses1"})
	})
	t.Run("ListLiveRooms", func(t *testing.T) {
		s := openRooms(t, open)
		mustApp(t, s, "app2")
		for _, name := range []string{"c", "a", "d", "b"} {
			mustRoom(t, s, name, 0, 0)
		}
		noErr(t, s.CreateRoom(t.Context(), storage.Room{AppID: "app2", Name: "z", Type: "private", CreatedAt: now()}, nil))
		_, err := s.EndRoom(t.Context(), "app1", "c", now(), nil)
		noErr(t, err)
		names := func(after string, limit int) []string {
			rooms, err := s.ListLiveRooms(t.Context(), "app1", after, limit)
			noErr(t, err)
			var out []string
			for _, r := range rooms {
				if r.Ended() || r.AppID != "app1" {
					t.Fatalf("listed %+v", r)
				}
				out = append(out, r.Name)
			}
			return out
		}
		same(t, names("", 0), []string{"a", "b", "d"})
		same(t, names("", 2), []string{"a", "b"})
		same(t, names("b", 2), []string{"d"})
		same(t, names("d", 2), []string(nil))
	})
}
