package livekit

import (
	"errors"
	"net/http"
	"time"

	lk "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stagedoor/stagedoor/problem"
)

// maxSeen bounds the webhook ids remembered; seenFor is how long one is:
// past LiveKit's signature (valid 5 minutes) and its retries.
const (
	maxSeen = 100_000
	seenFor = 10 * time.Minute
)

// keyLookup finds the secret of the LiveKit API key a webhook names, and
// remembers whose project it is.
type keyLookup struct {
	ps    *projects
	found *project
}

func (k *keyLookup) GetSecret(key string) string {
	p, ok := k.ps.forKey(key)
	if !ok {
		return ""
	}
	k.found = p
	return p.secret
}

func (k *keyLookup) NumKeys() int {
	k.ps.mu.RLock()
	defer k.ps.mu.RUnlock()
	return len(k.ps.byKey)
}

// Webhook takes one of LiveKit's webhooks (POST /v1/livekit/webhook). It
// is refused unless its Authorization header is a token signed with the
// secret of an app's LiveKit API key, still valid, whose sha256 claim is
// the body's; a webhook taken already is answered again and not applied
// twice. The room's loop applies it; its errors are problems.
func (i *Integration) Webhook(r *http.Request) error {
	p, ev, err := i.receive(r)
	if err != nil || ev == nil {
		return err
	}
	if !i.deliver(roomKey{p.app, ev.Room.Name}, message{webhook: ev}) {
		p := problem.New(http.StatusServiceUnavailable, "unavailable", "the room's queue is full; send it again")
		p.RetryAfter = time.Second
		return p
	}
	if ev.Id != "" {
		i.seen.Add(p.app+"\x00"+ev.Id, struct{}{})
	}
	return nil
}

// receive checks a webhook and reads it: the project it is for and its
// event, or no event when it was taken already or is of no concern to
// stagedoor.
func (i *Integration) receive(r *http.Request) (*project, *lk.WebhookEvent, error) {
	keys := &keyLookup{ps: &i.projects}
	body, err := webhook.Receive(r, keys)
	if err != nil {
		return nil, nil, refused(err)
	}
	p := keys.found
	ev := &lk.WebhookEvent{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, ev); err != nil {
		return nil, nil, problem.New(http.StatusBadRequest, "invalid_request", "the webhook's body is no LiveKit event: "+err.Error())
	}
	if ev.Id != "" && i.seen.Contains(p.app+"\x00"+ev.Id) {
		return p, nil, nil
	}
	if ev.Room == nil || ev.Room.Name == "" {
		return p, nil, nil
	}
	switch ev.Event {
	case webhook.EventParticipantJoined, webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted,
		webhook.EventTrackPublished, webhook.EventTrackUnpublished, webhook.EventRoomStarted, webhook.EventRoomFinished:
		return p, ev, nil
	}
	return p, nil, nil
}

// refused is the problem of a webhook that does not verify, saying why.
func refused(err error) error {
	var mbe *http.MaxBytesError
	detail := "the webhook's signature does not verify: " + err.Error()
	switch {
	case errors.As(err, &mbe):
		return problem.New(http.StatusRequestEntityTooLarge, "too_large", "the webhook is too large")
	case errors.Is(err, webhook.ErrNoAuthHeader):
		detail = "the webhook has no Authorization header"
	case errors.Is(err, webhook.ErrSecretNotFound):
		detail = "the webhook is signed with an API key no app's LiveKit project has"
	case errors.Is(err, webhook.ErrInvalidChecksum):
		detail = "the webhook's body is not the one its signature covers"
	}
	return problem.New(http.StatusUnauthorized, "invalid_webhook", detail)
}
