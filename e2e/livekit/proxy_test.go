package livekit_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// webhookProxy forwards LiveKit's webhooks to stagedoor as they are, and
// notes when each arrived, by event, room and participant (a webhook
// LiveKit sends again counts once: by its id).
// While losing, it answers them as taken and forwards none, as if they
// were lost on the way.
type webhookProxy struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string][]time.Time
	ids     map[string]bool
	losing  bool
}

func newWebhookProxy(stagedoor string) *webhookProxy {
	p := &webhookProxy{arrived: make(map[string][]time.Time), ids: make(map[string]bool)}
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: stagedoor})
	// While stagedoor restarts LiveKit is answered 502 and sends again.
	forward.ErrorLog = log.New(io.Discard, "", 0)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ev struct {
			ID          string                    `json:"id"`
			Event       string                    `json:"event"`
			Room        struct{ Name string }     `json:"room"`
			Participant struct{ Identity string } `json:"participant"`
		}
		if json.Unmarshal(body, &ev) == nil {
			k := hookKey(ev.Event, ev.Room.Name, ev.Participant.Identity)
			p.mu.Lock()
			if ev.ID == "" || !p.ids[ev.ID] {
				p.ids[ev.ID] = true
				p.arrived[k] = append(p.arrived[k], at)
			}
			p.mu.Unlock()
		}
		if p.lost() {
			w.WriteHeader(http.StatusOK)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		forward.ServeHTTP(w, r)
	}))
	return p
}

// lose sets whether webhooks are lost from now on.
func (p *webhookProxy) lose(on bool) {
	p.mu.Lock()
	p.losing = on
	p.mu.Unlock()
}

func (p *webhookProxy) lost() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.losing
}

func hookKey(event, room, identity string) string { return event + "/" + room + "/" + identity }

// at is when the first webhook of event about identity in room arrived.
func (p *webhookProxy) at(event, room, identity string) (time.Time, bool) {
	return p.after(event, room, identity, time.Time{})
}

// after is when the first webhook of event about identity in room that
// arrived after since did.
func (p *webhookProxy) after(event, room, identity string, since time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.arrived[hookKey(event, room, identity)] {
		if t.After(since) {
			return t, true
		}
	}
	return time.Time{}, false
}
