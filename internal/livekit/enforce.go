package livekit

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	lk "github.com/livekit/protocol/livekit"
	"github.com/twitchtv/twirp"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// Enforcement decides, one participant after the other, what LiveKit must
// do (plan), then makes the calls of every participant at once (flush),
// so that a crowd is sent away in the time of a few calls, not of one
// call each.

// callTimeout bounds one call of LiveKit's server API; flushWidth bounds
// the calls a room makes at once.
const (
	callTimeout = 5 * time.Second
	flushWidth  = 16
)

// plan is what LiveKit must do about one participant.
type plan struct {
	// remove, when set, is why the participant is sent away; nothing else
	// is done then.
	remove string
	// update sets the participant's permission and attributes; reason is
	// the AttrReason it sets, allowed the sources it leaves publishable.
	update        *lk.UpdateParticipantRequest
	reason, muted string
	allowed       []lk.TrackSource
	// mutes are the tracks to mute.
	mutes []string
	// outcomes of the calls, for apply.
	removeErr, updateErr error
	info                 *lk.ParticipantInfo
	muteErrs             []error
}

func (r *room) planFor(m *member) *plan {
	if r.plans == nil {
		r.plans = make(map[*member]*plan)
	}
	p, ok := r.plans[m]
	if !ok {
		p = &plan{}
		r.plans[m] = p
	}
	return p
}

// remove plans sending a participant away.
func (r *room) remove(m *member, reason string) {
	m.removing = reason
	r.planFor(m).remove = reason
}

// mute plans muting the participant's playing tracks of a stagedoor
// source, and keeps them muted.
func (r *room) mute(m *member, src string) {
	p := r.planFor(m)
	for _, sid := range slices.Sorted(maps.Keys(m.tracks)) {
		t := m.tracks[sid]
		if s, _ := sourceOf(t.source); s != src {
			continue
		}
		t.stopped = true
		if !t.muted && !slices.Contains(p.mutes, sid) {
			p.mutes = append(p.mutes, sid)
		}
	}
}

// flush makes the planned calls, flushWidth at a time, and takes in their
// outcomes. A removal LiveKit could not take is tried again by the next
// pass; so is an update or a mute.
func (r *room) flush(ctx context.Context) {
	if len(r.plans) == 0 {
		return
	}
	sem := make(chan struct{}, flushWidth)
	var wg sync.WaitGroup
	for m, p := range r.plans {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r.execute(ctx, m, p)
		})
	}
	wg.Wait()
	for m, p := range r.plans {
		r.apply(m, p)
	}
	clear(r.plans)
}

// execute makes the calls of one plan; it touches nothing but the plan.
func (r *room) execute(ctx context.Context, m *member, p *plan) {
	if p.remove != "" {
		p.removeErr = r.call(ctx, func(ctx context.Context, pr *project) error {
			_, err := pr.rooms.RemoveParticipant(ctx, &lk.RoomParticipantIdentity{Room: r.key.room, Identity: m.identity})
			return err
		})
		return
	}
	if p.update != nil {
		p.updateErr = r.call(ctx, func(ctx context.Context, pr *project) error {
			var err error
			p.info, err = pr.rooms.UpdateParticipant(ctx, p.update)
			return err
		})
		if p.updateErr != nil {
			return
		}
	}
	p.muteErrs = make([]error, len(p.mutes))
	for i, sid := range p.mutes {
		p.muteErrs[i] = r.call(ctx, func(ctx context.Context, pr *project) error {
			_, err := pr.rooms.MutePublishedTrack(ctx, &lk.MuteRoomTrackRequest{Room: r.key.room, Identity: m.identity, TrackSid: sid, Muted: true})
			return err
		})
	}
}

// apply takes in the outcome of a plan's calls.
func (r *room) apply(m *member, p *plan) {
	current := r.people[m.identity] == m
	switch {
	case p.remove != "" && (p.removeErr == nil || notFound(p.removeErr)):
		if current {
			delete(r.people, m.identity)
		}
		r.i.log.Info("removed a participant from LiveKit", "app", r.key.app, "room", r.key.room, "participant", m.identity, "reason", p.remove)
		return
	case p.remove != "":
		r.i.log.Warn("removing a participant from LiveKit failed; trying again", "room", r.key.room, "participant", m.identity, "reason", p.remove, "err", p.removeErr)
		return
	case p.update != nil && notFound(p.updateErr):
		if current {
			delete(r.people, m.identity)
		}
		return
	case p.update != nil && p.updateErr != nil:
		r.i.log.Warn("updating a participant in LiveKit failed; the next pass tries again", "room", r.key.room, "participant", m.identity, "err", p.updateErr)
		return
	case p.update != nil:
		m.perm, m.reason, m.muted = p.info.Permission, p.reason, p.muted
		for sid, t := range m.tracks {
			if !slices.Contains(p.allowed, t.source) {
				delete(m.tracks, sid)
			}
		}
	}
	for i, sid := range p.mutes {
		t, ok := m.tracks[sid]
		switch err := p.muteErrs[i]; {
		case !ok:
		case err == nil:
			t.muted = true
		case notFound(err):
			delete(m.tracks, sid)
		default:
			r.i.log.Warn("muting a track in LiveKit failed; the next pass tries again", "room", r.key.room, "participant", m.identity, "err", err)
		}
	}
}

// endRoom closes the LiveKit room of a room stagedoor ended, which sends
// everyone away at once.
func (r *room) endRoom(ctx context.Context) {
	err := r.call(ctx, func(ctx context.Context, p *project) error {
		_, err := p.rooms.DeleteRoom(ctx, &lk.DeleteRoomRequest{Room: r.key.room})
		return err
	})
	if err != nil && !notFound(err) {
		r.i.log.Warn("closing the LiveKit room of an ended room failed; its participants are removed one by one", "room", r.key.room, "err", err)
		for _, m := range r.people {
			r.remove(m, storage.EndRoomEnded)
		}
		return
	}
	clear(r.people)
	clear(r.plans)
	r.finished = true
}

// errNoProject says the app has no LiveKit project (any more).
var errNoProject = errors.New("the app has no LiveKit project")

// call runs fn with the app's LiveKit project and a context carrying the
// credentials of a server API call about the room.
func (r *room) call(ctx context.Context, fn func(context.Context, *project) error) error {
	p, ok := r.i.projects.byApp(r.key.app)
	if !ok {
		return errNoProject
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
// loop when LiveKit has no one in the room, or when the app's LiveKit
// project was removed (its mirrored sessions then end with their leases).
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
	case errors.Is(err, errNoProject):
		r.i.log.Info("the app's LiveKit project was removed; the room is no longer enforced", "app", r.key.app, "room", r.key.room)
		r.finished = true
		return
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
		m.perm, m.reason, m.muted = p.Permission, p.Attributes[AttrReason], p.Attributes[AttrMuted]
		tracks := tracksOf(p)
		for sid, t := range tracks {
			if old, ok := m.tracks[sid]; ok {
				t.stopped = old.stopped
			}
		}
		m.tracks = tracks
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

// sync enforces stagedoor's decisions on every participant, then makes
// the calls that takes.
func (r *room) sync(ctx context.Context) {
	defer r.flush(ctx)
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
	for _, id := range slices.Sorted(maps.Keys(r.people)) {
		m := r.people[id]
		switch {
		case m.removing != "":
			r.remove(m, m.removing)
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
	for _, sid := range slices.Sorted(maps.Keys(m.tracks)) {
		t := m.tracks[sid]
		src, known := sourceOf(t.source)
		if !known || t.muted || t.stopped || slices.Contains(s.Sources, src) {
			continue
		}
		out, err := r.i.auth.Produce(ctx, authority.AsKey(r.caller), r.key.room, s.ID, src)
		if err != nil {
			if reason = reasonOf(err); reason == "" {
				return
			}
			continue
		}
		s = out
		view.put(s)
	}
	rights := authority.MediaRights(view.RoomView, s)
	want := permission(rights)
	newReason := m.reason
	switch {
	case reason != "":
		newReason = reason
	case s.Rights()&access.Produce&^rights != 0:
		newReason = authority.CodeRoomFull
	case s.Producing() || m.reason == authority.CodeRoomFull:
		newReason = ""
	}
	for _, t := range m.tracks {
		src, known := sourceOf(t.source)
		if known && !t.muted && slices.Contains(want.CanPublishSources, t.source) && (t.stopped || !slices.Contains(s.Sources, src)) {
			r.mute(m, src)
		}
	}
	muted := mutedAttr(m)
	if !samePermission(m.perm, want) || newReason != m.reason || muted != m.muted {
		pl := r.planFor(m)
		pl.update = &lk.UpdateParticipantRequest{Room: r.key.room, Identity: m.identity, Permission: want}
		attrs := make(map[string]string)
		if newReason != m.reason {
			attrs[AttrReason] = newReason
		}
		if muted != m.muted {
			attrs[AttrMuted] = muted
		}
		if len(attrs) > 0 {
			pl.update.Attributes = attrs
		}
		pl.reason, pl.muted, pl.allowed = newReason, muted, want.CanPublishSources
	}
}

// mirror returns the session participant m is mirrored as, mirroring it
// first if needed; false when there is none (m is being removed, or waits
// for the event that ended its session).
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
			r.remove(m, "invalid_grant")
			return authority.Session{}, false
		}
		s, err = r.i.auth.JoinMedia(ctx, c, r.key.room)
		if err != nil {
			if reason := reasonOf(err); reason != "" {
				r.remove(m, reason)
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
		r.remove(m, string(authority.ReasonNotAdmitted))
		return authority.Session{}, false
	}
	return s, true
}

// reasonOf is the code of stagedoor's refusal err, or "" when err is no
// refusal but a failure to decide (the store away, a shutdown), which
// leaves the participant as it is until a later pass decides.
func reasonOf(err error) string {
	var (
		fe   *access.ForbiddenError
		inv  *access.InvalidError
		conf *authority.ConflictError
		nf   *authority.NotFoundError
		te   *token.Error
	)
	switch {
	case errors.Is(err, authority.ErrRevoked):
		return "revoked"
	case errors.As(err, &fe):
		return string(fe.Reason)
	case errors.As(err, &inv):
		return "invalid_request"
	case errors.As(err, &conf):
		return cmp.Or(conf.Code, "conflict")
	case errors.As(err, &nf):
		return "room_not_found"
	case errors.As(err, &te):
		return "invalid_token"
	}
	return ""
}
