package authority_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// Of sign-ins racing with one console link, exactly one wins, round after
// round; the others are refused without a session.
func TestSignInRaces(t *testing.T) {
	const rounds, racers = 200, 4
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		ctx := t.Context()
		for round := range rounds {
			code, _, err := n.auth.CreateLoginCode(ctx, authority.AsOperator("cli"), "alice", 0)
			if err != nil {
				t.Fatal(err)
			}
			var (
				wg   sync.WaitGroup
				won  = make(chan authority.ConsoleToken, racers)
				errs = make(chan error, racers)
			)
			start := make(chan struct{})
			for range racers {
				wg.Go(func() {
					<-start
					tok, err := n.auth.SignIn(ctx, code)
					if err != nil {
						errs <- err
						return
					}
					won <- tok
				})
			}
			close(start)
			wg.Wait()
			close(won)
			close(errs)
			if len(won) != 1 {
				t.Fatalf("round %d: %d sign-ins won", round, len(won))
			}
			for err := range errs {
				if !errors.Is(err, authority.ErrLoginCode) {
					t.Fatalf("round %d: a losing sign-in failed with %v", round, err)
				}
			}
			if _, err := n.auth.Console(ctx, (<-won).Token); err != nil {
				t.Fatalf("round %d: the winner's token: %v", round, err)
			}
		}
		sessions, err := n.auth.ConsoleSessions(ctx, authority.AsOperator("cli"))
		if err != nil || len(sessions) != rounds {
			t.Fatalf("%d console sessions, %v; want %d", len(sessions), err, rounds)
		}
	})
}

// Of sign-ins racing with one API key beyond its cap, no more than the cap
// win.
func TestOwnerSignInRaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			won int
		)
		start := make(chan struct{})
		for range 3 * authority.MaxOwnerSessions {
			wg.Go(func() {
				<-start
				_, err := n.auth.SignInOwner(t.Context(), n.prod)
				var conflict *authority.ConflictError
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case !errors.As(err, &conflict) || conflict.Code != "too_many_sessions":
					t.Errorf("a refused sign-in failed with %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if won != authority.MaxOwnerSessions {
			t.Fatalf("%d sign-ins won, want %d", won, authority.MaxOwnerSessions)
		}
		if _, err := n.auth.SignInOwner(t.Context(), n.dev); !errors.Is(err, authority.ErrDevelopmentOwner) {
			t.Fatalf("a development key signed in: %v", err)
		}
	})
}
