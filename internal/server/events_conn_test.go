package server

import (
	"net/http/httptest"
	"testing"
)

// withHandler serves s's authority through srv's own handler, returned
// with it, on an HTTP/1.1 server, or with http2 on HTTP/2 over TLS.
func (s *testServer) withHandler(t *testing.T, http2 bool) (*testServer, *Server) {
	t.Helper()
	h := New(Config{Auth: s.auth, Now: s.clock.Now})
	srv := httptest.NewUnstartedServer(h)
	if http2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	own := *s
	own.Server, own.api = srv, h
	return &own, h
}

// An HTTP/1.1 stream is served on the connection taken from the HTTP
// server: its answer says the connection closes with it, events flow,
// the client leaving frees its slot, and EndStreams ends the streams.
func TestStreamOnItsConnection(t *testing.T) {
	s, h := newTestServer(t).withHandler(t, false)
	s.newRoom(t, map[string]any{"name": "stage"})
	st := s.openEvents(t, "", "stage", 0)
	if st.resp.ProtoMajor != 1 || !st.resp.Close || st.resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("answer %s, Close %v, header %v", st.resp.Proto, st.resp.Close, st.resp.Header)
	}
	st.waitFor(t, "room.created", "")
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	st.waitFor(t, "session.joined", "")
	if n := s.openStreams(t); n != 1 {
		t.Fatalf("%d streams open, want 1", n)
	}
	st.close()
	s.waitStreams(t, 0)

	st = s.openEvents(t, "", "stage", s.lastEvent(t))
	h.EndStreams()
	st.ended(t)
	s.waitStreams(t, 0)
}

// Where the connection cannot be taken, as on HTTP/2, the stream is served
// through the ResponseWriter with the same events.
func TestStreamOverHTTP2(t *testing.T) {
	s := newTestServer(t)
	h2, _ := s.withHandler(t, true)
	s.newRoom(t, map[string]any{"name": "stage"})
	st := h2.openEvents(t, "", "stage", 0)
	if st.resp.ProtoMajor != 2 || st.resp.Header.Get("Connection") != "" {
		t.Fatalf("answer %s, header %v", st.resp.Proto, st.resp.Header)
	}
	st.waitFor(t, "room.created", "")
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	st.waitFor(t, "session.joined", "")
	st.close()
}
