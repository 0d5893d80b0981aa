package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/problem"
)

// TestUnavailableStoreIs503 checks that a store error wrapping
// storage.ErrUnavailable, however deep, answers 503 problem+json with code
// unavailable and a Retry-After, never a 500.
func TestUnavailableStoreIs503(t *testing.T) {
	err := fmt.Errorf("load revocations: %w", fmt.Errorf("postgres: begin: %w: %w", storage.ErrUnavailable, fmt.Errorf("dial tcp: connection refused")))
	rec := httptest.NewRecorder()
	problemFor(err).Write(rec)
	if rec.Code != 503 {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	var p problem.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != "unavailable" || p.Status != 503 {
		t.Errorf("problem %+v", p)
	}
}
