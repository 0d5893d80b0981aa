package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
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

// noLiveKit answers a LiveKit route of a server without the integration.
func noLiveKit() error {
	return problem.New(http.StatusNotFound, "not_found", "this server has no LiveKit integration")
}

// liveKitProjectRequest is the body of PUT /v1/admin/apps/{app}/livekit.
type liveKitProjectRequest struct {
	URL       string `json:"url"`
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
}

// liveKitProjectBody is an app's LiveKit project as the admin API shows
// it: never its secret.
type liveKitProjectBody struct {
	App       string    `json:"app"`
	URL       string    `json:"url"`
	APIKey    string    `json:"api_key"`
	UpdatedAt time.Time `json:"updated_at"`
}

// writeLiveKitProject writes p, or returns err.
func writeLiveKitProject(w http.ResponseWriter, p livekit.ProjectView, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, liveKitProjectBody{App: p.App, URL: p.URL, APIKey: p.APIKey, UpdatedAt: p.UpdatedAt.UTC()})
	return nil
}

func (s *Server) getLiveKitProject(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if s.lk == nil {
		return noLiveKit()
	}
	p, err := s.lk.ProjectOf(r.Context(), by, r.PathValue("app"))
	return writeLiveKitProject(w, p, err)
}

func (s *Server) putLiveKitProject(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if s.lk == nil {
		return noLiveKit()
	}
	var req liveKitProjectRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := s.lk.SetProjectIn(r.Context(), by, r.PathValue("app"), livekit.Project{URL: req.URL, APIKey: req.APIKey, APISecret: req.APISecret})
	return writeLiveKitProject(w, p, err)
}

func (s *Server) deleteLiveKitProject(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if s.lk == nil {
		return noLiveKit()
	}
	if err := s.lk.RemoveProjectIn(r.Context(), by, r.PathValue("app")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// liveKitWebhook takes a webhook of an app's LiveKit server.
func (s *Server) liveKitWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.lk == nil {
		return noLiveKit()
	}
	if err := s.lk.Webhook(r); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
