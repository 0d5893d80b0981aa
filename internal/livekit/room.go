package livekit

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	lk "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	"github.com/twitchtv/twirp"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// inboxSize bounds what waits for a room's loop; past it webhooks are
// answered 503, and LiveKit sends them again.
const inboxSize = 4096

// callTimeout bounds one call of LiveKit's server API.
const callTimeout = 5 * time.Second

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
	// perm and reason are the permission and AttrReason LiveKit has.
	perm   *lk.ParticipantPermission
	reason string
	tracks map[string]*track
	// gone are the tracks LiveKit reported unpublished, whose late
	// track_published webhooks are ignored.
	gone map[string]bool
	// removing is why a removal LiveKit did not take yet was decided.
	removing string
}

type track struct {
	source lk.TrackSource
	muted  bool
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
				st, err = r.i.auth.Events(ctx, authority.AsKey(caller), r.key.room)
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
		events, next, err := st.Next(ctx, cursor, 25*time.Second)
		cursor = next
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
	cursor := int64(0)
	for {
		events, next, err := st.Next(ctx, cursor, 0)
		if err != nil {
			return 0, err
		}
		cursor = next
		if len(events) == 0 {
			return cursor, nil
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
		receipt: p.Attributes[AttrGrant], reason: p.Attributes[AttrReason], perm: p.Permission, tracks: tracksOf(p),
		gone: make(map[string]bool),
	}
	if old != nil {
		m.session, m.orphaned, m.lease = old.session, old.orphaned, old.lease
	}
	r.people[p.Identity] = m
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
	if _, err := r.i.auth.Leave(ctx, authority.AsKey(r.caller), r.key.room, m.session); err != nil && transient(err) {
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
	if _, err := r.i.auth.Unproduce(ctx, authority.AsKey(r.caller), r.key.room, m.session, src); err != nil && transient(err) {
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
			r.remove(ctx, m, e.Reason)
			return
		}
		m.session, m.orphaned = "", time.Time{}
	case storage.EventProduceStopped:
		if m := r.memberOf(e); m != nil {
			r.mute(ctx, m, e.Source)
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

// endRoom closes the LiveKit room of a room stagedoor ended.
func (r *room) endRoom(ctx context.Context) {
	err := r.call(ctx, func(ctx context.Context, p *project) error {
		_, err := p.rooms.DeleteRoom(ctx, &lk.DeleteRoomRequest{Room: r.key.room})
		return err
	})
	if err != nil && !notFound(err) {
		r.i.log.Warn("closing the LiveKit room of an ended room failed; its participants are removed one by one", "room", r.key.room, "err", err)
		for _, m := range r.people {
			m.removing = storage.EndRoomEnded
		}
		return
	}
	clear(r.people)
	r.finished = true
}

// remove sends a participant away from LiveKit; when LiveKit cannot be
// reached the next pass tries again.
func (r *room) remove(ctx context.Context, m *member, reason string) {
	err := r.call(ctx, func(ctx context.Context, p *project) error {
		_, err := p.rooms.RemoveParticipant(ctx, &lk.RoomParticipantIdentity{Room: r.key.room, Identity: m.identity})
		return err
	})
	if err != nil && !notFound(err) {
		m.removing = reason
		r.i.log.Warn("removing a participant from LiveKit failed; trying again", "room", r.key.room, "participant", m.identity, "reason", reason, "err", err)
		return
	}
	delete(r.people, m.identity)
	r.i.log.Info("removed a participant from LiveKit", "app", r.key.app, "room", r.key.room, "participant", m.identity, "reason", reason)
}

// mute mutes the participant's playing tracks of a stagedoor source.
func (r *room) mute(ctx context.Context, m *member, src string) {
	for _, sid := range slices.Sorted(mapsKeys(m.tracks)) {
		t := m.tracks[sid]
		if s, _ := sourceOf(t.source); s != src || t.muted {
			continue
		}
		err := r.call(ctx, func(ctx context.Context, p *project) error {
			_, err := p.rooms.MutePublishedTrack(ctx, &lk.MuteRoomTrackRequest{Room: r.key.room, Identity: m.identity, TrackSid: sid, Muted: true})
			return err
		})
		switch {
		case err == nil:
			t.muted = true
		case notFound(err):
			delete(m.tracks, sid)
		default:
			r.i.log.Warn("muting a track in LiveKit failed; the next reconciliation tries again", "room", r.key.room, "participant", m.identity, "err", err)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// call runs fn with the app's LiveKit project and a context carrying the
// credentials of a server API call about the room.
func (r *room) call(ctx context.Context, fn func(context.Context, *project) error) error {
	p, ok := r.i.projects.byApp(r.key.app)
	if !ok {
		return errors.New("the app has no LiveKit project")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	ctx, err := p.admin(ctx, r.key.room)
	if err != nil {
		return err
	}
	return fn(ctx, p)
}

func notFound(err error) bool {
	var te twirp.Error
	return errors.As(err, &te) && te.Code() == twirp.NotFound
}

// reconcileNow reads the room's participants from LiveKit, takes in who
// joined and who left without a webhook, and enforces; it finishes the
// loop when LiveKit has no one in the room.
func (r *room) reconcileNow(ctx context.Context) {
	if c, err := r.i.caller(ctx, r.key.app); err == nil {
		r.caller = c
	}
	var list *lk.ListParticipantsResponse
	err := r.call(ctx, func(ctx context.Context, p *project) error {
		var err error
		list, err = p.rooms.ListParticipants(ctx, &lk.ListParticipantsRequest{Room: r.key.room})
		return err
	})
	switch {
	case notFound(err):
		list = &lk.ListParticipantsResponse{}
	case err != nil:
		if ctx.Err() == nil {
			r.i.log.Warn("reading LiveKit's participants failed; enforcing on what was seen before", "room", r.key.room, "err", err)
		}
		r.sync(ctx)
		return
	}
	r.stale = false
	seen := make(map[string]bool, len(list.Participants))
	for _, p := range list.Participants {
		seen[p.Identity] = true
		m := r.people[p.Identity]
		if m == nil || m.sid != p.Sid {
			r.admit(p)
			continue
		}
		m.perm, m.reason, m.tracks = p.Permission, p.Attributes[AttrReason], tracksOf(p)
	}
	for id, m := range r.people {
		if !seen[id] {
			r.left(ctx, m)
		}
	}
	r.sync(ctx)
	if len(r.people) == 0 {
		r.finished = true
	}
}

// heartbeat renews the leases of the mirrored sessions before they end.
func (r *room) heartbeat(ctx context.Context) {
	soon := time.Now().Add(authority.Lease * 2 / 3)
	for _, m := range r.people {
		if m.session == "" || m.lease.After(soon) {
			continue
		}
		s, err := r.i.auth.Heartbeat(ctx, authority.AsKey(r.caller), r.key.room, m.session)
		if err == nil {
			m.lease = s.LeaseUntil
		}
	}
}

// sync enforces stagedoor's decisions on every participant.
func (r *room) sync(ctx context.Context) {
	p, ok := r.i.projects.byApp(r.key.app)
	if !ok {
		return
	}
	v, err := r.i.auth.Room(ctx, authority.AsKey(r.caller), r.key.room)
	var nf *authority.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		if ctx.Err() == nil {
			r.i.log.Warn("reading the room failed; enforcing later", "room", r.key.room, "err", err)
		}
		return
	}
	view := &roomView{RoomView: v}
	for _, id := range slices.Sorted(mapsKeys(r.people)) {
		m := r.people[id]
		switch {
		case m.removing != "":
			r.remove(ctx, m, m.removing)
		case m.kind == lk.ParticipantInfo_STANDARD:
			r.enforce(ctx, p, m, view)
		}
	}
}

// roomView is the room as the loop last read it, kept current as it acts.
type roomView struct{ authority.RoomView }

func (v *roomView) find(participant string) (authority.Session, bool) {
	for _, s := range v.Sessions {
		if s.Participant == participant {
			return s, true
		}
	}
	return authority.Session{}, false
}

func (v *roomView) put(s authority.Session) {
	for i := range v.Sessions {
		if v.Sessions[i].Participant == s.Participant {
			v.Sessions[i] = s
			return
		}
	}
	v.Sessions = append(v.Sessions, s)
}

// enforce brings one participant in line with stagedoor: mirrored as a
// session (or removed when stagedoor refuses it), its tracks counted as
// produced (or stopped when stagedoor refuses them, with the reason in
// AttrReason), and its permission exactly what its session's rights
// allow now.
func (r *room) enforce(ctx context.Context, p *project, m *member, view *roomView) {
	s, ok := r.mirror(ctx, p, m, view)
	if !ok {
		return
	}
	reason := ""
	for _, sid := range slices.Sorted(mapsKeys(m.tracks)) {
		t := m.tracks[sid]
		src, known := sourceOf(t.source)
		if !known || t.muted || slices.Contains(s.Sources, src) {
			continue
		}
		out, err := r.i.auth.Produce(ctx, authority.AsKey(r.caller), r.key.room, s.ID, src)
		if err != nil {
			if transient(err) {
				return
			}
			reason = reasonOf(err)
			continue
		}
		s = out
		view.put(s)
	}
	rights := authority.MediaRights(view.RoomView, s)
	want := permission(rights)
	newReason := m.reason
	withheld := s.Rights()&access.Produce&^rights != 0
	switch {
	case reason != "":
		newReason = reason
	case withheld:
		newReason = authority.CodeRoomFull
	case s.Producing() || m.reason == authority.CodeRoomFull:
		newReason = ""
	}
	if !samePermission(m.perm, want) || newReason != m.reason {
		req := &lk.UpdateParticipantRequest{Room: r.key.room, Identity: m.identity, Permission: want}
		if newReason != m.reason {
			req.Attributes = map[string]string{AttrReason: newReason}
		}
		var info *lk.ParticipantInfo
		err := r.call(ctx, func(ctx context.Context, p *project) error {
			var err error
			info, err = p.rooms.UpdateParticipant(ctx, req)
			return err
		})
		switch {
		case notFound(err):
			delete(r.people, m.identity)
			return
		case err != nil:
			r.i.log.Warn("updating a participant in LiveKit failed; the next pass tries again", "room", r.key.room, "participant", m.identity, "err", err)
			return
		}
		m.perm, m.reason = info.Permission, newReason
		allowed := publishable(rights)
		for sid, t := range m.tracks {
			if !slices.Contains(allowed, t.source) {
				delete(m.tracks, sid)
			}
		}
	}
	for _, t := range m.tracks {
		if src, known := sourceOf(t.source); known && !t.muted && !slices.Contains(s.Sources, src) {
			r.mute(ctx, m, src)
		}
	}
}

// mirror returns the session participant m is mirrored as, mirroring it
// first if needed; false when there is none (m was removed, or waits for
// the event that ended its session).
func (r *room) mirror(ctx context.Context, p *project, m *member, view *roomView) (authority.Session, bool) {
	s, found := view.find(m.identity)
	switch {
	case found && s.ID == m.session:
	case m.session != "" && !found && (m.orphaned.IsZero() || time.Since(m.orphaned) < orphanWait):
		if m.orphaned.IsZero() {
			m.orphaned = time.Now()
		}
		return authority.Session{}, false
	default:
		c, err := p.openReceipt(ctx, m.receipt, m.joinedAt)
		if err != nil {
			r.remove(ctx, m, "invalid_grant")
			return authority.Session{}, false
		}
		s, err = r.i.auth.JoinMedia(ctx, c, r.key.room)
		if err != nil {
			if !transient(err) {
				r.remove(ctx, m, reasonOf(err))
			}
			return authority.Session{}, false
		}
		m.session, m.orphaned, m.lease = s.ID, time.Time{}, s.LeaseUntil
		if view.Room.Name == "" {
			if v, err := r.i.auth.Room(ctx, authority.AsKey(r.caller), r.key.room); err == nil {
				view.RoomView = v
			}
		}
		view.put(s)
	}
	if s.Waiting() {
		r.remove(ctx, m, string(authority.ReasonNotAdmitted))
		return authority.Session{}, false
	}
	return s, true
}

// reasonOf is the code of stagedoor's refusal err; refusals are the
// domain's errors, anything else is transient.
func reasonOf(err error) string {
	var (
		fe   *access.ForbiddenError
		conf *authority.ConflictError
		nf   *authority.NotFoundError
		te   *token.Error
	)
	switch {
	case errors.Is(err, authority.ErrRevoked):
		return "revoked"
	case errors.As(err, &fe):
		return string(fe.Reason)
	case errors.As(err, &conf):
		return cmp.Or(conf.Code, "conflict")
	case errors.As(err, &nf):
		return "room_not_found"
	case errors.As(err, &te):
		return "invalid_token"
	}
	return "refused"
}

// transient reports whether err is no decision of stagedoor's but a
// failure to reach one (the store away, a shutdown): the participant is
// left as it is until a later pass decides.
func transient(err error) bool {
	var (
		fe   *access.ForbiddenError
		inv  *access.InvalidError
		conf *authority.ConflictError
		nf   *authority.NotFoundError
		te   *token.Error
	)
	return !errors.Is(err, authority.ErrRevoked) && !errors.As(err, &fe) && !errors.As(err, &inv) &&
		!errors.As(err, &conf) && !errors.As(err, &nf) && !errors.As(err, &te)
}
