package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// roomBody is a room as the API shows it.
type roomBody struct {
	Name            string          `json:"name"`
	Type            string          `json:"type"`
	MaxProducers    int             `json:"max_producers"`
	MaxParticipants int             `json:"max_participants"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
}

// roomViewBody is a room with who is in it, who waits and who produces.
type roomViewBody struct {
	roomBody
	Participants []sessionBody  `json:"participants"`
	Waiting      []sessionBody  `json:"waiting"`
	Producers    []producerBody `json:"producers"`
}

type producerBody struct {
	SessionID   string   `json:"session_id"`
	Participant string   `json:"participant"`
	Sources     []string `json:"sources"`
}

// sessionBody is a session as the API shows it.
type sessionBody struct {
	SessionID      string     `json:"session_id"`
	Room           string     `json:"room"`
	Participant    string     `json:"participant"`
	UserID         string     `json:"user_id"`
	Role           string     `json:"role"`
	Permissions    []string   `json:"permissions"`
	State          string     `json:"state"`
	Sources        []string   `json:"sources"`
	LeaseUntil     time.Time  `json:"lease_until"`
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	EndReason      string     `json:"end_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

func roomOf(r authority.Room) roomBody {
	out := roomBody{Name: r.Name, Type: r.Type, MaxProducers: r.MaxProducers, MaxParticipants: r.MaxParticipants,
		Metadata: r.Metadata, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
	if r.Ended() {
		t := r.EndedAt.UTC()
		out.EndedAt = &t
	}
	return out
}

func sessionOf(s authority.Session) sessionBody {
	out := sessionBody{SessionID: s.ID, Room: s.Room, Participant: s.Participant, UserID: s.UserID, Role: s.Role,
		Permissions: nonNil(s.Permissions), State: s.State, Sources: nonNil(s.Sources),
		LeaseUntil: s.LeaseUntil.UTC(), EndReason: s.EndReason, CreatedAt: s.CreatedAt.UTC()}
	if !s.TokenExpiresAt.IsZero() {
		t := s.TokenExpiresAt.UTC()
		out.TokenExpiresAt = &t
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// roomRoutes adds the rooms, sessions, moderation and events endpoints.
func (s *Server) roomRoutes(handle func(string, func(http.ResponseWriter, *http.Request) error)) {
	const session = "/v1/rooms/{room}/sessions/{session}"
	handle("POST /v1/rooms", s.createRoom)
	handle("GET /v1/rooms/{room}", s.getRoom)
	handle("DELETE /v1/rooms/{room}", s.endRoom)
	handle("POST /v1/rooms/{room}/join", s.join)
	handle("GET /v1/rooms/{room}/events", s.roomEvents)
	handle("PATCH "+session, s.updateSession)
	handle("DELETE "+session, s.kick)
	handle("POST "+session+"/admit", s.sessionAction(s.auth.Admit))
	handle("POST "+session+"/reject", s.sessionAction(s.auth.Reject))
	handle("POST "+session+"/heartbeat", s.sessionAction(s.auth.Heartbeat))
	handle("POST "+session+"/leave", s.sessionAction(s.auth.Leave))
	handle("POST "+session+"/produce", s.sourceAction(s.auth.Produce))
	handle("POST "+session+"/unproduce", s.sourceAction(s.auth.Unproduce))
	handle("POST "+session+"/token", s.sessionToken)
	handle("POST "+session+"/requests", s.requestPermission)
	handle("POST "+session+"/requests/{request}/grant", s.resolveRequest(true))
	handle("POST "+session+"/requests/{request}/deny", s.resolveRequest(false))
	handle("PUT /v1/app/session-policy", s.setSessionPolicy)
}

// actor is who calls a room endpoint: the holder of a Bearer token, or an
// API key by HTTP Basic.
func (s *Server) actor(r *http.Request) (authority.Principal, error) {
	if raw, ok := problem.BearerToken(r); ok {
		return authority.AsToken(raw), nil
	}
	if _, _, ok := basicAuth(r); !ok {
		return authority.Principal{}, problem.MissingBearer()
	}
	c, err := s.authenticate(r)
	if err != nil {
		return authority.Principal{}, err
	}
	return authority.AsKey(c), nil
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	var req roomRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	room, err := s.auth.CreateRoom(r.Context(), actor, req.request())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, roomOf(room))
	return nil
}

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	v, err := s.auth.Room(r.Context(), actor, r.PathValue("room"))
	if err != nil {
		return err
	}
	out := roomViewBody{roomBody: roomOf(v.Room), Participants: []sessionBody{}, Waiting: []sessionBody{}, Producers: []producerBody{}}
	for _, ses := range v.Sessions {
		if ses.Waiting() {
			out.Waiting = append(out.Waiting, sessionOf(ses))
			continue
		}
		out.Participants = append(out.Participants, sessionOf(ses))
		if ses.Producing() {
			out.Producers = append(out.Producers, producerBody{SessionID: ses.ID, Participant: ses.Participant, Sources: ses.Sources})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) endRoom(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	if err := s.auth.EndRoom(r.Context(), actor, r.PathValue("room")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyBody struct {
	Policy string `json:"policy"`
}

// setSessionPolicy sets how the app's sessions treat token expiry.
func (s *Server) setSessionPolicy(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req policyBody
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.auth.SetSessionPolicy(r.Context(), authority.AsKey(caller), req.Policy); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}
