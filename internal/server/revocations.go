package server

import (
	"net/http"
	"strconv"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/revocation"
)

func (s *Server) createRevocation(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req revocationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rev, err := s.auth.Revoke(r.Context(), authority.AsKey(caller), req.request())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rev)
	return nil
}

// listRevocations is the feed verifiers follow: the app's revocations
// after a cursor, and the cursor to ask with next.
func (s *Server) listRevocations(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	after, limit, err := feedQuery(r)
	if err != nil {
		return err
	}
	rs, err := s.auth.RevocationFeed(r.Context(), authority.AsKey(caller), after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revocation.NewPage(after, rs))
	return nil
}

// feedQuery reads the cursor and page size of a revocation feed request:
// ?after= (default 0) and ?limit= (default and at most
// revocation.PageSize).
func feedQuery(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = revocation.PageSize
	if v := q.Get("after"); v != "" {
		if after, err = parseCursor("after", v); err != nil {
			return 0, 0, err
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > revocation.PageSize {
			return 0, 0, &access.InvalidError{Field: "limit", Detail: "must be between 1 and 1000"}
		}
	}
	return after, limit, nil
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
