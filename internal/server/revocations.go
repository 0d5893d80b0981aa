package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

type revocationJSON struct {
	Seq          int64      `json:"seq"`
	Kind         string     `json:"kind"`
	Value        string     `json:"value,omitempty"`
	IssuedBefore *time.Time `json:"issued_before,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
}

func revocationOut(r storage.Revocation) revocationJSON {
	out := revocationJSON{Seq: r.Seq, Kind: string(r.Kind), Value: r.Value, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	if !r.IssuedBefore.IsZero() {
		t := r.IssuedBefore.UTC()
		out.IssuedBefore = &t
	}
	return out
}

func (s *Server) createRevocation(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req authority.RevokeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rev, err := s.auth.Revoke(r.Context(), caller, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, revocationOut(rev))
	return nil
}

const maxFeedPage = 1000

// listRevocations is the feed verifiers follow: the app's revocations
// after a cursor, and the cursor to ask with next.
func (s *Server) listRevocations(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, limit := int64(0), maxFeedPage
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return &access.InvalidError{Field: "after", Detail: "must be a non-negative integer cursor"}
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxFeedPage {
			return &access.InvalidError{Field: "limit", Detail: "must be between 1 and 1000"}
		}
	}
	rs, err := s.auth.RevocationFeed(r.Context(), caller, after, limit)
	if err != nil {
		return err
	}
	out := struct {
		Revocations []revocationJSON `json:"revocations"`
		Cursor      int64            `json:"cursor"`
	}{Revocations: make([]revocationJSON, 0, len(rs)), Cursor: after}
	for _, rev := range rs {
		out.Revocations = append(out.Revocations, revocationOut(rev))
		out.Cursor = rev.Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err := w.Write(s.auth.JWKS())
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.auth.Ready(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
