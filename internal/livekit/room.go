package livekit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	lk "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// inboxSize bounds what waits for a room's loop; past it webhooks are
// answered 503, and LiveKit sends them again.
const inboxSize = 4096

// orphanWait is how long a participant whose session ended keeps waiting
// for the room event that says why before it is mirrored afresh.
const orphanWait = 30 * time.Second

// message is what a room's loop takes in: a webhook, or room events.
type message struct {
	webhook *lk.WebhookEvent
	events  []authority.Event
}

// room is the loop of one LiveKit room. One goroutine (run) owns
// everything below inbox: webhooks, room events and reconciliations are
// applied one after the other, so that what LiveKit was last seen doing
// and what stagedoor decided never race.
type room struct {
	i     *Integration
	key   roomKey
	inbox chan message

	people   map[string]*member
	caller   authority.Caller
	plans    map[*member]*plan
	stale    bool
	finished bool
}

// member is a participant LiveKit has in the room.
type member struct {
	identity string
	sid      string
	kind     lk.ParticipantInfo_Kind
	joinedAt time.Time
	// receipt is the grant receipt the participant joined with.
	receipt string
	// session is the stagedoor session it is mirrored as, "" for none
	// yet; orphaned is when the session was first seen gone, before the
	// room event that ended it was taken.
	session  string
	orphaned time.Time
	lease    time.Time
	// perm, reason and muted are the permission, AttrReason and AttrMuted
	// LiveKit has.
	perm          *lk.ParticipantPermission
	reason, muted string
	tracks        map[string]*track
	// gone are the tracks LiveKit reported unpublished, whose late
	// track_published webhooks are ignored.
	gone map[string]bool
	// removing is why a removal LiveKit did not take yet was decided.
	removing string
}

type track struct {
	source lk.TrackSource
	muted  bool
	// stopped says stagedoor muted the track: it stays muted until its
	// source is produced again through stagedoor.
	stopped bool
}

func newRoom(i *Integration, k roomKey) *room {
	return &room{i: i, key: k, inbox: make(chan message, inboxSize), people: make(map[string]*member)}
}

// deliver queues m for the loop; false when the queue is full.
func (r *room) deliver(m message) bool {
	select {
	case r.inbox <- m:
		return true
	default:
		return false
	}
}

// run is the loop: it reconciles at once and every reconcile interval,
// renews the leases of the mirrored sessions, and applies what comes in,
// in batches, each followed by one pass of enforcement. It returns when
// LiveKit no longer has the room or has no one in it, or when ctx ends.
func (r *room) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.followEvents(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	tick := time.NewTicker(r.i.reconcile)
	defer tick.Stop()
	beat := time.NewTicker(authority.Lease / 3)
	defer beat.Stop()
	r.reconcileNow(ctx)
	for {
		if r.finished && r.i.retire(r) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case m := <-r.inbox:
			r.take(ctx, m)
			for more := true; more; {
				select {
				case m := <-r.inbox:
					r.take(ctx, m)
				default:
					more = false
				}
			}
			if r.stale {
				r.reconcileNow(ctx)
			} else {
				r.sync(ctx)
			}
		case <-tick.C:
			r.reconcileNow(ctx)
		case <-beat.C:
			r.heartbeat(ctx)
		}
	}
}

// retire removes r from the running loops unless something waits for it.
func (i *Integration) retire(r *room) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(r.inbox) > 0 {
		r.finished = false
		return false
	}
	delete(i.rooms, r.key)
	return true
}

// followEvents hands the room's stagedoor events to the loop, from those
// committed after it started.
func (r *room) followEvents(ctx context.Context) {
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	var st *authority.EventStream
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	cursor := int64(-1)
	for ctx.Err() == nil {
		if st == nil {
			caller, err := r.i.caller(ctx, r.key.app)
			if err == nil {
				st, err = r.i.auth.Events(ctx, authority.AsKey(caller), r.key.room, max(cursor, 0))
			}
			if err != nil {
				select {
				case <-ctx.Done():
				case <-retry.C:
				}
				continue
			}
			if cursor < 0 {
				if cursor, err = skipHistory(ctx, st); err != nil {
					st.Close()
					st = nil
					continue
				}
			}
		}
		events, err := st.Next(ctx, nil)
		cursor = st.Cursor()
		if len(events) > 0 {
			select {
			case r.inbox <- message{events: events}:
			case <-ctx.Done():
				return
			}
		}
		if err != nil || st.End() != "" {
			st.Close()
			st = nil
			select {
			case <-ctx.Done():
			case <-retry.C:
			}
		}
	}
}

// skipHistory returns the cursor past every event the room has now.
func skipHistory(ctx context.Context, st *authority.EventStream) (int64, error) {
	now := make(chan struct{})
	close(now)
	for {
		events, err := st.Next(ctx, now)
		if err != nil {
			return 0, err
		}
		if len(events) == 0 {
			return st.Cursor(), nil
		}
	}
}

// caller is the API key of app the loops act with: a live key,
// production first.
func (i *Integration) caller(ctx context.Context, app string) (authority.Caller, error) {
	keys, err := i.auth.ListAPIKeys(ctx, app)
	if err != nil {
		return authority.Caller{}, err
	}
	var found *authority.APIKey
	for _, k := range keys {
		if !k.Revoked() && (found == nil || found.Kind != access.Production) {
			found = &k
		}
	}
	if found == nil {
		return authority.Caller{}, errors.New("the app has no live API key")
	}
	return authority.Caller{KeyID: found.ID, AppID: app, Kind: found.Kind}, nil
}

// take applies one message.
func (r *room) take(ctx context.Context, m message) {
	if ev := m.webhook; ev != nil {
		r.takeWebhook(ctx, ev)
	}
	for _, e := range m.events {
		r.takeEvent(ctx, e)
	}
}

func (r *room) takeWebhook(ctx context.Context, ev *lk.WebhookEvent) {
	p := ev.Participant
	switch ev.Event {
	case webhook.EventRoomFinished:
		for _, m := range r.people {
			r.left(ctx, m)
		}
		r.finished = true
		return
	case webhook.EventRoomStarted:
		return
	}
	if p == nil {
		return
	}
	m := r.people[p.Identity]
	switch ev.Event {
	case webhook.EventParticipantJoined:
		r.admit(p)
	case webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted:
		if m != nil && m.sid == p.Sid {
			r.left(ctx, m)
		}
	case webhook.EventTrackPublished:
		if m == nil || m.sid != p.Sid || ev.Track == nil {
			r.stale = true
			return
		}
		if m.gone[ev.Track.Sid] {
			return
		}
		m.tracks[ev.Track.Sid] = &track{source: ev.Track.Source, muted: ev.Track.Muted}
		if m.perm != nil && !slices.Contains(m.perm.CanPublishSources, ev.Track.Source) {
			// It could publish: someone changed its permission through
			// LiveKit's API.
			m.perm = nil
		}
	case webhook.EventTrackUnpublished:
		if m == nil || m.sid != p.Sid || ev.Track == nil {
			return
		}
		m.gone[ev.Track.Sid] = true
		if t, ok := m.tracks[ev.Track.Sid]; ok {
			delete(m.tracks, ev.Track.Sid)
			r.release(ctx, m, t.source)
		}
	}
}

// admit takes in a participant LiveKit reports. A new connection of an
// identity already there keeps its session.
func (r *room) admit(p *lk.ParticipantInfo) {
	old := r.people[p.Identity]
	if old != nil && old.sid == p.Sid {
		return
	}
	joined := time.UnixMilli(p.JoinedAtMs)
	if p.JoinedAtMs == 0 {
		joined = time.Unix(p.JoinedAt, 0)
	}
	m := &member{
		identity: p.Identity, sid: p.Sid, kind: p.Kind, joinedAt: joined,
		receipt: p.Attributes[AttrGrant], reason: p.Attributes[AttrReason], muted: p.Attributes[AttrMuted], perm: p.Permission,
		tracks: tracksOf(p), gone: make(map[string]bool),
	}
	// Mutes stagedoor made before it last started hold on.
	for _, t := range m.tracks {
		src, ok := sourceOf(t.source)
		t.stopped = ok && slices.Contains(strings.Split(m.muted, ","), src)
	}
	if old != nil {
		m.session, m.orphaned, m.lease = old.session, old.orphaned, old.lease
	}
	r.people[p.Identity] = m
}

// mutedAttr is the AttrMuted of m's tracks as they are: the sources of
// those stagedoor keeps muted.
func mutedAttr(m *member) string {
	var srcs []string
	for _, t := range m.tracks {
		if src, ok := sourceOf(t.source); ok && t.stopped && !slices.Contains(srcs, src) {
			srcs = append(srcs, src)
		}
	}
	slices.Sort(srcs)
	return strings.Join(srcs, ",")
}

func tracksOf(p *lk.ParticipantInfo) map[string]*track {
	out := make(map[string]*track, len(p.Tracks))
	for _, t := range p.Tracks {
		out[t.Sid] = &track{source: t.Source, muted: t.Muted}
	}
	return out
}

// left forgets a participant that left LiveKit, and ends its session.
func (r *room) left(ctx context.Context, m *member) {
	delete(r.people, m.identity)
	if m.session == "" {
		return
	}
	if _, err := r.i.auth.Leave(ctx, authority.AsKey(r.caller), r.key.room, m.session); err != nil && reasonOf(err) == "" {
		r.i.log.Warn("ending the session of a participant who left LiveKit failed; its lease ends it", "room", r.key.room, "participant", m.identity, "err", err)
	}
}

// release stops counting source as produced once no track of the
// participant plays it.
func (r *room) release(ctx context.Context, m *member, source lk.TrackSource) {
	src, ok := sourceOf(source)
	if !ok || m.session == "" {
		return
	}
	for _, t := range m.tracks {
		if s, _ := sourceOf(t.source); s == src {
			return
		}
	}
	if _, err := r.i.auth.Unproduce(ctx, authority.AsKey(r.caller), r.key.room, m.session, src); err != nil && reasonOf(err) == "" {
		r.i.log.Warn("releasing a producer slot failed", "room", r.key.room, "participant", m.identity, "err", err)
	}
}

// removes reports whether a session ending for reason ends the
// participant's presence in LiveKit too. A participant that left, whose
// lease ran out or whose identity joined again keeps its connection and is
// mirrored afresh.
func removes(reason string) bool {
	switch reason {
	case storage.EndKicked, storage.EndRevoked, storage.EndTokenExpired, storage.EndRoomEnded, storage.EndRejected:
		return true
	}
	return false
}

func (r *room) takeEvent(ctx context.Context, e authority.Event) {
	switch e.Type {
	case storage.EventRoomEnded:
		r.endRoom(ctx)
	case storage.EventSessionEnded:
		m := r.memberOf(e)
		if m == nil {
			return
		}
		if removes(e.Reason) {
			r.remove(m, e.Reason)
			return
		}
		m.session, m.orphaned = "", time.Time{}
	case storage.EventProduceStopped:
		if m := r.memberOf(e); m != nil {
			r.mute(m, e.Source)
		}
	case storage.EventProduceStarted:
		if m := r.memberOf(e); m != nil {
			for _, t := range m.tracks {
				if src, _ := sourceOf(t.source); src == e.Source {
					t.stopped = false
				}
			}
		}
	}
}

// memberOf is the participant an event's session is about, if that
// session is the one it is mirrored as (or it is mirrored as none yet).
func (r *room) memberOf(e authority.Event) *member {
	if e.Session == nil {
		return nil
	}
	m := r.people[e.Session.Participant]
	if m == nil || (m.session != "" && m.session != e.Session.ID) {
		return nil
	}
	return m
}
