package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// TestAcknowledgedMintsSurviveKill9 mints from concurrent clients while the
// serve process is killed with SIGKILL, five times, restarted on the same
// data each time: every mint answered 201 has its audit entry afterwards.
func TestAcknowledgedMintsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Setenv("STAGEDOOR_DATABASE", "")
		data := t.TempDir()
		acked := killWhileMinting(t, data)
		// The files a killed process left, before anything reopens them.
		for _, name := range []string{"master.key", "stagedoor.db", "stagedoor.db-wal", "stagedoor.db-shm"} {
			fi, err := os.Stat(filepath.Join(data, name))
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode().Perm(); mode != 0o600 {
				t.Errorf("%s: mode %o, want 600", name, mode)
			}
		}
		wantAudited(t, dataFlags{dir: data}, acked)
	})
	t.Run("postgres", func(t *testing.T) {
		db := testDatabase(t)
		mk := make([]byte, 32)
		rand.Read(mk)
		t.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
		t.Setenv("STAGEDOOR_DATABASE", db)
		wantAudited(t, dataFlags{database: db}, killWhileMinting(t, t.TempDir()))
	})
}

// killWhileMinting runs five rounds: serve over data, mint from eight
// clients until at least 100 mints of the round were answered 201, then
// SIGKILL the process with mints in flight. It returns the jti of every
// mint answered 201.
func killWhileMinting(t *testing.T, data string) []string {
	const rounds, perRound, clients = 5, 100, 8
	p := startServe(t, data)
	m := bannerKey.FindStringSubmatch(p.stdout)
	if m == nil {
		t.Fatalf("first start printed no API key:\n%s", p.stdout)
	}
	key, sec := m[1], m[2]
	client := &http.Client{Timeout: 10 * time.Second}
	var (
		mu    sync.Mutex
		acked []string
	)
	for round := range rounds {
		if round > 0 {
			p = startServe(t, data)
		}
		ctx, stop := context.WithCancel(t.Context())
		enough := make(chan struct{})
		var n atomic.Int64
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					jti, ok := mintJTI(ctx, client, p.url, key, sec, fmt.Sprintf("u%d-%d-%d", round, c, i))
					if !ok {
						continue
					}
					mu.Lock()
					acked = append(acked, jti)
					mu.Unlock()
					if n.Add(1) == perRound {
						close(enough)
					}
				}
			})
		}
		select {
		case <-enough:
		case <-time.After(time.Minute):
			t.Fatalf("round %d: %d mints answered 201 in a minute", round+1, n.Load())
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		stop()
		wg.Wait()
	}
	t.Logf("%d mints acknowledged over %d kills", len(acked), rounds)
	return acked
}

// wantAudited fails t for each jti in acked that has no token.mint entry in
// the audit log of store.
func wantAudited(t *testing.T, store dataFlags, acked []string) {
	t.Helper()
	s, err := openStore(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := s.ListAudit(t.Context(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	audited := make(map[string]bool)
	for _, e := range entries {
		var d struct {
			JTI string `json:"jti"`
		}
		if e.Action == "token.mint" && json.Unmarshal(e.Detail, &d) == nil {
			audited[d.JTI] = true
		}
	}
	lost := 0
	for _, jti := range acked {
		if !audited[jti] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged mints have no audit entry", lost, len(acked))
	}
}

// mintJTI mints a token for user and returns its jti, or false unless the
// mint was answered 201 with a token.
func mintJTI(ctx context.Context, client *http.Client, url, key, sec, user string) (string, bool) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/tokens", strings.NewReader(`{"user_id":"`+user+`","role":"viewer"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(key, sec)
	resp, err := client.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return "", false
	}
	_, c, err := token.Inspect(body.AccessToken)
	if err != nil {
		return "", false
	}
	return c.ID, true
}
