package server

import (
	"net/http"
	"strings"
)

// Cross-origin requests. A web app calls the API from its own origin with
// the access token its backend minted for the user: the token travels in
// the Authorization header, a refresh token in the body. Neither is
// ambient (the API reads no cookie and never sends
// Access-Control-Allow-Credentials), so a page can only use a credential
// it already holds, and the answers to requests made with one are readable
// from any origin. An API secret belongs to a backend: the answer to a
// request authenticated with an API key is readable cross-origin only for
// a development key (allowDevelopmentOrigin).

const (
	corsAllowHeaders  = "Authorization, Content-Type, Last-Event-ID"
	corsExposeHeaders = "Retry-After, WWW-Authenticate"
	corsMaxAge        = "600"
)

// crossOrigin does the CORS part of serving r: it answers the preflight of
// a /v1/ route (answered is true), and lets the page read the answer to a
// request that carries no API key.
func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) (answered bool) {
	origin := r.Header.Get("Origin")
	if origin == "" || !strings.HasPrefix(r.URL.Path, "/v1/") {
		return false
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		methods := s.allowedMethods(r)
		if methods == "" {
			return false
		}
		writePreflight(w, origin, methods)
		return true
	}
	if !hasBasicScheme(r) {
		allowOrigin(w, origin)
	}
	return false
}

// preflight answers OPTIONS on the endpoints that document it, with or
// without an Origin.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) error {
	if origin := r.Header.Get("Origin"); origin != "" {
		writePreflight(w, origin, s.allowedMethods(r))
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writePreflight accepts a preflight from origin for methods. Whether the
// real request's answer may be read is decided when it is served.
func writePreflight(w http.ResponseWriter, origin, methods string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	h.Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// allowOrigin lets a page of origin read the answer, and the headers a
// client needs to retry or to tell why it was refused.
func allowOrigin(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	h.Add("Vary", "Origin")
}

// hasBasicScheme reports a request whose Authorization header uses the
// Basic scheme (in any case), that is, an API key.
func hasBasicScheme(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	return len(h) >= 6 && strings.EqualFold(h[:6], "basic ")
}
