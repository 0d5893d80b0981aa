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
// notes when the first of each arrived, by event, room and participant.
type webhookProxy struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
}

func newWebhookProxy(stagedoor string) *webhookProxy {
	p := &webhookProxy{arrived: make(map[string]time.Time)}
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
			Event       string                    `json:"event"`
			Room        struct{ Name string }     `json:"room"`
			Participant struct{ Identity string } `json:"participant"`
		}
		if json.Unmarshal(body, &ev) == nil {
			k := hookKey(ev.Event, ev.Room.Name, ev.Participant.Identity)
			p.mu.Lock()
			if _, ok := p.arrived[k]; !ok {
				p.arrived[k] = at
			}
			p.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		forward.ServeHTTP(w, r)
	}))
	return p
}

func hookKey(event, room, identity string) string { return event + "/" + room + "/" + identity }

// at is when the first webhook of event about identity in room arrived.
func (p *webhookProxy) at(event, room, identity string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.arrived[hookKey(event, room, identity)]
	return t, ok
}
