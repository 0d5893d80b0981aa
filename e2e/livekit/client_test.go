package livekit_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// Synthetic media: an Opus frame of silence, and a tiny VP8 key frame (a
// frame tag, the start code and a 16x16 size), enough for LiveKit to count
// a published track.
var (
	opusSilence = []byte{0xf8, 0xff, 0xfe}
	vp8KeyFrame = []byte{0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00}
)

// wait is how long a test waits for something it expects to happen: far
// more than it takes, so that a loaded machine does not fail the test.
// How long it takes is measured by the benchmarks.
const wait = 30 * time.Second

// client is a LiveKit participant of a test, with what happened to it.
type client struct {
	room     *lksdk.Room
	identity string
	// removedAt is when the server sent it away, once disconnected has
	// received.
	removedAt time.Time
	// disconnected receives why the server sent it away; attrs its own
	// attribute changes; muted and unpublished the sids of its tracks the
	// server muted or took down.
	disconnected chan lksdk.DisconnectionReason
	attrs        chan map[string]string
	muted        chan string
	unpublished  chan string
	stop         chan struct{}
}

// connect joins LiveKit with token.
func (e *environment) connect(t testing.TB, token string) (*client, error) {
	t.Helper()
	c := &client{
		disconnected: make(chan lksdk.DisconnectionReason, 1),
		attrs:        make(chan map[string]string, 64),
		muted:        make(chan string, 64),
		unpublished:  make(chan string, 64),
		stop:         make(chan struct{}),
	}
	cb := lksdk.NewRoomCallback()
	var once sync.Once
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		once.Do(func() {
			c.removedAt = time.Now()
			c.disconnected <- r
		})
	}
	cb.OnAttributesChanged = func(changed map[string]string, p lksdk.Participant) {
		if _, local := p.(*lksdk.LocalParticipant); local {
			c.attrs <- changed
		}
	}
	cb.OnTrackMuted = func(pub lksdk.TrackPublication, p lksdk.Participant) {
		if _, local := p.(*lksdk.LocalParticipant); local {
			c.muted <- pub.SID()
		}
	}
	cb.OnLocalTrackUnpublished = func(pub *lksdk.LocalTrackPublication, _ *lksdk.LocalParticipant) {
		c.unpublished <- pub.SID()
	}
	room, err := lksdk.ConnectToRoomWithToken(e.lkURL, token, cb, lksdk.WithAutoSubscribe(false), lksdk.WithConnectTimeout(wait))
	if err != nil {
		return nil, err
	}
	c.room, c.identity = room, room.LocalParticipant.Identity()
	t.Cleanup(func() {
		close(c.stop)
		room.Disconnect()
	})
	return c, nil
}

// mustConnect is connect that fails t on error.
func (e *environment) mustConnect(t testing.TB, token string) *client {
	t.Helper()
	c, err := e.connect(t, token)
	if err != nil {
		t.Fatalf("connecting to LiveKit: %v", err)
	}
	return c
}

// publish publishes a synthetic track of source and keeps feeding it.
func (c *client) publish(source livekit.TrackSource) (*lksdk.LocalTrackPublication, error) {
	mime, frame := webrtc.MimeTypeOpus, opusSilence
	if source == livekit.TrackSource_CAMERA || source == livekit.TrackSource_SCREEN_SHARE {
		mime, frame = webrtc.MimeTypeVP8, vp8KeyFrame
	}
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: mime})
	if err != nil {
		return nil, err
	}
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				if err := track.WriteSample(media.Sample{Data: frame, Duration: 20 * time.Millisecond}, nil); err != nil && !errors.Is(err, errors.ErrUnsupported) {
					return
				}
			}
		}
	}()
	return c.room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: source.String(), Source: source})
}

// mustPublish is publish that fails t on error.
func (c *client) mustPublish(t testing.TB, source livekit.TrackSource) *lksdk.LocalTrackPublication {
	t.Helper()
	pub, err := c.publish(source)
	if err != nil {
		t.Fatalf("publishing %s: %v", source, err)
	}
	return pub
}

// waitDisconnected waits until the server sends c away.
func (c *client) waitDisconnected(t testing.TB) lksdk.DisconnectionReason {
	t.Helper()
	select {
	case r := <-c.disconnected:
		return r
	case <-time.After(wait):
		t.Fatalf("the participant was not sent away within %v", wait)
	}
	return ""
}

// waitAttr waits until c's attribute key is set to want.
func (c *client) waitAttr(t testing.TB, key, want string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		if c.room.LocalParticipant.Attributes()[key] == want {
			return
		}
		select {
		case <-c.attrs:
		case <-deadline:
			t.Fatalf("attribute %s is %q, want %q", key, c.room.LocalParticipant.Attributes()[key], want)
		}
	}
}

// waitSID waits until ch receives sid.
func waitSID(t testing.TB, ch <-chan string, sid, what string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case got := <-ch:
			if got == sid {
				return
			}
		case <-deadline:
			t.Fatalf("track %s was not %s within %v", sid, what, wait)
		}
	}
}
