package livekit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// event is a room event as the API streams it.
type event struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	Data      struct {
		Session *session `json:"session"`
		Reason  string   `json:"reason"`
		Source  string   `json:"source"`
	} `json:"data"`
}

// participant is the participant the event is about, if any.
func (ev event) participant() string {
	if ev.Data.Session == nil {
		return ""
	}
	return ev.Data.Session.Participant
}

// events follows a room's event stream with the app's API key, from the
// events committed after it was opened.
type events struct {
	ch chan event
}

func (e *environment) follow(t testing.TB, room string) *events {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+e.sdAddr+"/v1/rooms/"+room+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(e.apiKey, e.apiSecret)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("following room %s: status %d", room, resp.StatusCode)
	}
	ev := &events{ch: make(chan event, 1024)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var one event
			if json.Unmarshal([]byte(data), &one) == nil && one.Type != "" {
				ev.ch <- one
			}
		}
	}()
	return ev
}

// next waits for the first event after those already taken that match
// says matches.
func (ev *events) next(t testing.TB, what string, match func(event) bool) event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case one := <-ev.ch:
			if match(one) {
				return one
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, wait)
		}
	}
}

// of matches events of type typ about participant.
func of(typ, participant string) func(event) bool {
	return func(ev event) bool { return ev.Type == typ && ev.participant() == participant }
}
