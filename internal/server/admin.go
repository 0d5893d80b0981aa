package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
	"github.com/stagedoor/stagedoor/revocation"
)

// adminRoutes adds the admin API the console speaks: sign-in, apps, API
// keys, roles, LiveKit projects, signing keys, revocations, rooms, the
// token generator and inspector, and the audit log. Every route but sign-in takes a console
// token (Bearer, audience admin).
func (s *Server) adminRoutes(handle func(string, func(http.ResponseWriter, *http.Request) error)) {
	const app = "/v1/admin/apps/{app}"
	handle("POST /v1/admin/sessions", s.signIn)
	handle("POST /v1/admin/sessions/refresh", s.admin(s.refreshConsole))
	handle("GET /v1/admin/sessions", s.admin(s.listConsoleSessions))
	handle("DELETE /v1/admin/sessions/{session}", s.admin(s.revokeConsoleSession))
	handle("GET /v1/admin/apps", s.admin(s.listApps))
	handle("POST /v1/admin/apps", s.admin(s.createApp))
	handle("GET "+app, s.admin(s.getApp))
	handle("GET "+app+"/keys", s.admin(s.listKeys))
	handle("POST "+app+"/keys", s.admin(s.createKey))
	handle("DELETE "+app+"/keys/{key}", s.admin(s.revokeKey))
	handle("GET "+app+"/roles", s.admin(s.listRoles))
	handle("PUT "+app+"/roles/{role}", s.admin(s.putRole))
	handle("DELETE "+app+"/roles/{role}", s.admin(s.deleteRole))
	handle("GET "+app+"/revocations", s.admin(s.listAppRevocations))
	handle("POST "+app+"/revocations", s.admin(s.createAppRevocation))
	handle("GET "+app+"/rooms", s.admin(s.listRooms))
	handle("POST "+app+"/rooms/{room}/moderator-token", s.admin(s.moderatorToken))
	handle("POST "+app+"/tokens", s.admin(s.mintIn))
	handle("GET "+app+"/livekit", s.admin(s.getLiveKitProject))
	handle("PUT "+app+"/livekit", s.admin(s.putLiveKitProject))
	handle("DELETE "+app+"/livekit", s.admin(s.deleteLiveKitProject))
	handle("POST /v1/admin/inspect", s.admin(s.inspect))
	handle("GET /v1/admin/signing-keys", s.admin(s.listSigningKeys))
	handle("POST /v1/admin/signing-keys/rotate", s.admin(s.rotateSigningKey))
	handle("GET /v1/admin/audit", s.admin(s.audit))
}

// adminHandler is an admin API handler, called with the principal its
// console token stands for.
type adminHandler func(w http.ResponseWriter, r *http.Request, by authority.Principal) error

// admin checks the request's console token before h runs.
func (s *Server) admin(h adminHandler) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw, ok := problem.BearerToken(r)
		if !ok {
			return problem.MissingBearer()
		}
		by, err := s.auth.Console(r.Context(), raw)
		if err != nil {
			return err
		}
		return h(w, r, by)
	}
}

// signIn exchanges a console link's one-time code, or an app's production
// API key and secret (HTTP Basic), for a console token.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	var (
		t   authority.ConsoleToken
		err error
		req signInRequest
	)
	if _, _, basic := basicAuth(r); basic {
		caller, aerr := s.authenticate(r)
		if aerr != nil {
			return aerr
		}
		if err := decode(r, &struct{}{}); err != nil {
			return err
		}
		t, err = s.auth.SignInOwner(r.Context(), caller)
	} else {
		if err := decode(r, &req); err != nil {
			return err
		}
		t, err = s.auth.SignIn(r.Context(), req.Code)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, consoleTokenOf(t))
	return nil
}

func (s *Server) refreshConsole(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	t, err := s.auth.RefreshConsole(r.Context(), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, consoleTokenOf(t))
	return nil
}

func (s *Server) listConsoleSessions(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	list, err := s.auth.ConsoleSessions(r.Context(), by)
	if err != nil {
		return err
	}
	out := consoleSessionsBody{Sessions: make([]consoleSessionBody, len(list))}
	for i, c := range list {
		out.Sessions[i] = consoleSessionOf(c)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeConsoleSession(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := s.auth.RevokeConsoleSession(r.Context(), by, r.PathValue("session")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	apps, err := s.auth.AppsOf(r.Context(), by)
	if err != nil {
		return err
	}
	out := appsBody{Apps: make([]appBody, len(apps))}
	for i, a := range apps {
		out.Apps[i] = appOf(a)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req appRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	app, err := s.auth.CreateApp(r.Context(), by, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, appOf(app))
	return nil
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	app, err := s.auth.AppOf(r.Context(), by, r.PathValue("app"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appOf(app))
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	keys, err := s.auth.KeysOf(r.Context(), by, r.PathValue("app"))
	if err != nil {
		return err
	}
	out := keysBody{Keys: make([]keyBody, len(keys))}
	for i, k := range keys {
		out.Keys[i] = keyOf(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req keyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		return &access.InvalidError{Field: "kind", Detail: "required: production or development"}
	}
	k, err := s.auth.CreateKeyIn(r.Context(), by, r.PathValue("app"), access.KeyKind(req.Kind))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newKeyBody{APIKey: k.APIKey, App: k.App, Kind: string(k.Kind), Secret: k.Secret})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := s.auth.RevokeKeyIn(r.Context(), by, r.PathValue("app"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	roles, err := s.auth.RolesOf(r.Context(), by, r.PathValue("app"))
	if err != nil {
		return err
	}
	out := rolesBody{Roles: make([]roleBody, len(roles))}
	for i, role := range roles {
		out.Roles[i] = roleOf(role)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) putRole(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req roleRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Rank == nil {
		return &access.InvalidError{Field: "rank", Detail: "required"}
	}
	name := r.PathValue("role")
	if _, err := s.auth.SetRoleIn(r.Context(), by, r.PathValue("app"), name, req.Permissions, *req.Rank); err != nil {
		return err
	}
	roles, err := s.auth.RolesOf(r.Context(), by, r.PathValue("app"))
	if err != nil {
		return err
	}
	for _, role := range roles {
		if role.Name == name {
			writeJSON(w, http.StatusOK, roleOf(role))
			return nil
		}
	}
	return &authority.NotFoundError{What: "role", Name: name}
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := s.auth.DeleteRoleIn(r.Context(), by, r.PathValue("app"), r.PathValue("role")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAppRevocations(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	after, limit, err := feedQuery(r)
	if err != nil {
		return err
	}
	rs, err := s.auth.RevocationsOf(r.Context(), by, r.PathValue("app"), after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revocation.NewPage(after, rs))
	return nil
}

func (s *Server) createAppRevocation(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req revocationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rev, err := s.auth.RevokeIn(r.Context(), by, r.PathValue("app"), req.request())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rev)
	return nil
}

// defaultRoomPage is how many rooms a page lists unless asked otherwise.
const defaultRoomPage = 100

func (s *Server) listRooms(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	q := r.URL.Query()
	limit := defaultRoomPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return &access.InvalidError{Field: "limit", Detail: "must be an integer"}
		}
		limit = n
	}
	rooms, err := s.auth.LiveRooms(r.Context(), by, r.PathValue("app"), q.Get("after"), limit)
	if err != nil {
		return err
	}
	out := roomsBody{Rooms: make([]roomBody, len(rooms))}
	for i, room := range rooms {
		out.Rooms[i] = roomOf(room)
	}
	if len(rooms) == limit {
		out.Next = rooms[len(rooms)-1].Name
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) moderatorToken(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	t, err := s.auth.ModeratorToken(r.Context(), by, r.PathValue("app"), r.PathValue("room"))
	if err != nil {
		return err
	}
	s.metrics.minted.with("console").Inc()
	writeJSON(w, http.StatusCreated, issued(t))
	return nil
}

func (s *Server) mintIn(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req adminTokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.APIKey == "" {
		return &access.InvalidError{Field: "api_key", Detail: "required: the API key the token is minted for"}
	}
	if req.Format != "" && req.Format != formatStagedoor {
		return &access.InvalidError{Field: "format", Detail: fmt.Sprintf("the console mints stagedoor tokens only, not %q: POST /v1/tokens mints the others", req.Format)}
	}
	t, err := s.auth.MintIn(r.Context(), by, r.PathValue("app"), req.APIKey, req.request())
	if err != nil {
		return err
	}
	s.metrics.minted.with("console").Inc()
	writeJSON(w, http.StatusCreated, issued(t))
	return nil
}

func (s *Server) inspect(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	var req inspectRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Token == "" {
		return &access.InvalidError{Field: "token", Detail: "required"}
	}
	in, err := s.auth.InspectToken(r.Context(), by, req.Token, req.Secret)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inspectionOf(in))
	return nil
}

func (s *Server) listSigningKeys(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	keys, err := s.auth.SigningKeys(r.Context(), by)
	if err != nil {
		return err
	}
	out := signingKeysBody{Keys: make([]signingKeyBody, len(keys))}
	for i, k := range keys {
		out.Keys[i] = signingKeyOf(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) rotateSigningKey(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	id, err := s.auth.RotateSigningKey(r.Context(), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rotatedBody{Current: id})
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, by authority.Principal) error {
	q := r.URL.Query()
	query := authority.AuditQuery{AppID: q.Get("app"), Action: q.Get("action"), Actor: q.Get("actor"), Cursor: q.Get("cursor"),
		OldestFirst: q.Get("order") == "oldest"}
	if v := q.Get("order"); v != "" && v != "oldest" && v != "newest" {
		return &access.InvalidError{Field: "order", Detail: "must be newest or oldest"}
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &query.Since}, {"until", &query.Until}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return &access.InvalidError{Field: t.name, Detail: "must be an RFC 3339 time"}
			}
			*t.to = at
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &access.InvalidError{Field: "limit", Detail: fmt.Sprintf("must be between 1 and %d", authority.MaxAuditPage)}
		}
		query.Limit = n
	}
	page, err := s.auth.AuditOf(r.Context(), by, query)
	if err != nil {
		return err
	}
	out := auditBody{Entries: make([]auditEntryBody, len(page.Entries)), Next: page.Next}
	for i, e := range page.Entries {
		out.Entries[i] = auditEntryOf(e)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
