package server

import (
	"fmt"
	"net/http"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/livekit"
	"github.com/stagedoor/stagedoor/problem"
)

// formatStagedoor names stagedoor's own token format, the default.
const formatStagedoor = "stagedoor"

// mediaFormat reports whether format names a media server's token format
// (LiveKit's) rather than stagedoor's own, the default.
func (s *Server) mediaFormat(format string) (bool, error) {
	switch format {
	case "", formatStagedoor:
		return false, nil
	case livekit.FormatName:
		if s.lk == nil {
			return false, &access.InvalidError{Field: "format", Detail: "this server has no LiveKit integration"}
		}
		return true, nil
	}
	return false, &access.InvalidError{Field: "format", Detail: fmt.Sprintf("unknown format %q (want %s or %s)", format, formatStagedoor, livekit.FormatName)}
}

// writeLiveKit returns the writer of a LiveKit token's answer.
func (s *Server) writeLiveKit(w http.ResponseWriter) func(livekit.Token, error) error {
	return func(t livekit.Token, err error) error {
		if err != nil {
			return err
		}
		s.metrics.minted.with(livekit.FormatName).Inc()
		out := issued(t.Issued)
		out.Format, out.URL = livekit.FormatName, t.URL
		writeJSON(w, http.StatusCreated, out)
		return nil
	}
}

// liveKitWebhook takes a webhook of an app's LiveKit server.
func (s *Server) liveKitWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.lk == nil {
		return problem.New(http.StatusNotFound, "not_found", "this server has no LiveKit integration")
	}
	if err := s.lk.Webhook(r); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
