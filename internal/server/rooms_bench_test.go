package server

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkRooms measures joins and produce decisions per second through
// the HTTP API on SQLite, with p99 latency. join: 256 participants join
// one room over and over, each join replacing the participant's previous
// session (duplicate identity), so every request is a write transaction
// with its events. produce: 256 joined participants of a conference (ten
// producer slots) ask to produce their camera; ten hold a slot (asking
// again changes nothing), the others are refused as full, each decision
// taken in a transaction against the room's cap.
func BenchmarkRooms(b *testing.B) {
	s := newTestServer(b)
	s.newRoom(b, map[string]any{"name": "joins"})
	s.newRoom(b, map[string]any{"name": "conf", "type": "conference"})
	const n = 256
	joinToks, prodToks, prodIDs := make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		joinToks[i] = s.user(b, fmt.Sprintf("j%03d", i), "guest")
		prodToks[i] = s.user(b, fmt.Sprintf("p%03d", i), "conference-participant")
		prodIDs[i] = s.joined(b, prodToks[i], "conf", "joined")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	cases := []struct {
		name string
		req  func(i int) *http.Request
		ok   func(status int) bool
	}{
		{"join", func(i int) *http.Request {
			return benchRequest(s.URL+"/v1/rooms/joins/join", joinToks[i%n], `{}`)
		}, func(status int) bool { return status == http.StatusCreated }},
		{"produce", func(i int) *http.Request {
			return benchRequest(s.URL+"/v1/rooms/conf/sessions/"+prodIDs[i%n]+"/produce", prodToks[i%n], `{"source":"camera"}`)
		}, func(status int) bool { return status == http.StatusOK || status == http.StatusConflict }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { driveHTTP(b, client, c.req, c.ok) })
	}
}

func benchRequest(url, tok, body string) *http.Request {
	req, _ := http.NewRequest("POST", url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}
