package authority

import (
	"context"
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// Media servers that take stagedoor's word: tokens in a media server's own
// format, made from the same grants, and the participants it lets in
// mirrored as sessions, so that the room rules (admission, blocks,
// revocations, producer caps, moderation) hold for them too.

// MediaFormat signs tokens in a media server's own format.
type MediaFormat interface {
	// Name names the format, as the audit log records it.
	Name() string
	// Sign returns the token of g, or an error that refuses it.
	Sign(ctx context.Context, g MediaGrant) (string, error)
}

// MediaGrant is a media token to sign.
type MediaGrant struct {
	// Claims are the token's claims, every access rule applied; they are
	// bound to Room alone.
	Claims *token.Claims
	// Room is the room the token is for; Identity is the participant it
	// acts as there.
	Room, Identity string
	// Rights are what the participant may do in the room now (see
	// MediaRights).
	Rights access.Set
}

// IssueMediaToken is IssueToken in format f: a token for exactly one room,
// to a participant who may be in it now, a holder of room.join, or of
// room.ask_join once a moderator admitted its session. No refresh token
// comes with it.
func (a *Authority) IssueMediaToken(ctx context.Context, by Principal, req IssueRequest, f MediaFormat) (Issued, error) {
	if req.Refresh {
		return Issued{}, invalid("refresh", "a %s token comes without a refresh token", f.Name())
	}
	m, err := keyMinter(by)
	if err != nil {
		return Issued{}, err
	}
	c, err := a.resolve(m, req)
	if err != nil {
		return Issued{}, err
	}
	if c.Audience != access.AudienceRTC {
		return Issued{}, invalid("audience", "a %s token is a media token: audience %s", f.Name(), access.AudienceRTC)
	}
	if len(c.Grants.Rooms) != 1 {
		return Issued{}, invalid("rooms", "a %s token is for exactly one room: name it in rooms", f.Name())
	}
	g, err := token.GrantsOf(c)
	if err != nil {
		return Issued{}, fmt.Errorf("resolved claims: %v", err)
	}
	room := c.Grants.Rooms[0]
	identity := participantOf(&Verified{Claims: c, Grants: g})
	if err := a.checkBlocked(ctx, m.appID, room, identity); err != nil {
		return Issued{}, err
	}
	rights, err := a.admittedRights(ctx, m.appID, room, identity, g.Permissions)
	if err != nil {
		return Issued{}, err
	}
	s, err := f.Sign(ctx, MediaGrant{Claims: c, Room: room, Identity: identity, Rights: rights})
	if err != nil {
		return Issued{}, err
	}
	return a.record(ctx, m, c, s, f.Name())
}

// SessionMediaToken is SessionToken in format f, for a session a
// moderator admitted (or that joined at once).
func (a *Authority) SessionMediaToken(ctx context.Context, actor Principal, room, id string, f MediaFormat) (Issued, error) {
	return a.sessionToken(ctx, actor, room, id, f)
}

// signSession signs c, the claims of session s's new token, in format f.
func (a *Authority) signSession(ctx context.Context, m minter, c *token.Claims, s storage.Session, f MediaFormat) (Issued, error) {
	if s.State == storage.SessionWaiting {
		return Issued{}, notAdmitted(fmt.Sprintf("a session waiting to be admitted gets no %s token", f.Name()))
	}
	room, err := a.getRoom(ctx, s.AppID, s.Room)
	if err != nil {
		return Issued{}, err
	}
	sessions, err := a.store.ListSessions(ctx, s.AppID, s.Room)
	if err != nil {
		return Issued{}, err
	}
	g, err := token.GrantsOf(c)
	if err != nil {
		return Issued{}, fmt.Errorf("session claims: %v", err)
	}
	rights := rightsFor(g.Permissions, room.MaxProducers, s.Producing(), producers(sessions))
	tok, err := f.Sign(ctx, MediaGrant{Claims: c, Room: s.Room, Identity: s.Participant, Rights: rights})
	if err != nil {
		return Issued{}, err
	}
	return a.record(ctx, m, c, tok, f.Name())
}

// admittedRights are the rights in room of participant identity, whose
// token holds perms, if it may be in the room now: its live session there
// must be joined, or, without one, perms must hold room.join.
func (a *Authority) admittedRights(ctx context.Context, app, room, identity string, perms access.Set) (access.Set, error) {
	r, err := a.store.GetRoom(ctx, app, room)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	sessions, err := a.store.ListSessions(ctx, app, room)
	if err != nil {
		return 0, err
	}
	own, found := findParticipant(sessions, identity)
	switch {
	case found && own.State == storage.SessionWaiting:
		return 0, notAdmitted("the participant waits to be admitted")
	case !found:
		if err := admitsDirectly(perms); err != nil {
			return 0, err
		}
	}
	return rightsFor(perms, r.MaxProducers, own.Producing(), producers(sessions)), nil
}

// producers counts the sessions holding a producer slot.
func producers(sessions []storage.Session) int {
	n := 0
	for _, s := range sessions {
		if s.Producing() {
			n++
		}
	}
	return n
}

// admitsDirectly refuses what does not enter a room without a moderator.
func admitsDirectly(perms access.Set) error {
	switch access.AdmissionOf(perms) {
	case access.Wait:
		return notAdmitted("a holder of room.ask_join gets a media token once admitted: join the room, wait, then ask for the session's token")
	case access.Denied:
		return missingPermission(access.RoomJoin)
	}
	return nil
}

// MediaRights are what a media server lets session s of room v do now:
// its permissions, nothing while it waits, and no produce permission
// while every producer slot of the room is held by other sessions. A
// participant wins a free slot by producing first (through stagedoor, or
// by publishing in the media server, which stagedoor then counts).
func MediaRights(v RoomView, s Session) access.Set {
	if s.Waiting() {
		return 0
	}
	n := 0
	for _, o := range v.Sessions {
		if o.Producing() {
			n++
		}
	}
	return rightsFor(s.Rights(), v.Room.MaxProducers, s.Producing(), n)
}

// rightsFor is perms less the produce permissions when the room's
// producers, counted by slot, leave none free for a holder of no slot.
func rightsFor(perms access.Set, maxProducers int, producing bool, producers int) access.Set {
	if maxProducers > 0 && !producing && producers >= maxProducers {
		return perms.Minus(access.Produce)
	}
	return perms
}

// JoinMedia mirrors as a session a participant a media server let into
// room with a media token whose claims are c: c must be authentic and
// valid when the participant joined (the caller checked both). The
// participant's live session in the room, if it has one, is renewed and
// runs on c from now on; else a new session joins, the room being created
// first if it does not exist and c holds room.create. Whatever Join
// refuses is refused: a revoked token or key, a participant blocked from
// the room, an ended or full room, and a participant not admitted (its
// session waits, or it holds only room.ask_join). The media server must
// then send the participant away.
func (a *Authority) JoinMedia(ctx context.Context, c *token.Claims, room string) (Session, error) {
	if err := access.CheckName("room", room); err != nil {
		return Session{}, err
	}
	claims := *c
	if err := a.checkIssuer(&claims); err != nil {
		return Session{}, err
	}
	if a.revs.Revoked(&claims, room) {
		return Session{}, ErrRevoked
	}
	g, err := token.GrantsOf(&claims)
	if err != nil {
		return Session{}, err
	}
	if !g.InRoom(room) {
		return Session{}, roomMismatch(room)
	}
	v := &Verified{Claims: &claims, Grants: g}
	p := &party{app: claims.App, v: v, identity: participantOf(v), name: "user:" + claims.Subject}
	if err := a.checkBlocked(ctx, p.app, room, p.identity); err != nil {
		return Session{}, err
	}
	own, ok, err := a.ownSession(ctx, p.app, room, p.identity)
	if err != nil {
		return Session{}, err
	}
	if ok {
		if own.State == storage.SessionWaiting {
			return Session{}, notAdmitted("the participant waits to be admitted")
		}
		now := a.now()
		out, err := a.store.RenewSession(ctx, p.app, room, own.ID, now.Add(Lease), claims.ID, claims.Issuer, claims.IssuedAt, a.watchUntil(p.app, claims.ExpiresAt), now)
		if errors.Is(err, storage.ErrConflict) {
			return Session{}, sessionEnded(own.ID)
		}
		return viewed(out, err)
	}
	if err := admitsDirectly(g.Permissions); err != nil {
		return Session{}, err
	}
	s, err := a.enter(ctx, p, room)
	var nf *NotFoundError
	if !errors.As(err, &nf) || !g.Permissions.Has(access.RoomCreate) {
		return s, err
	}
	var conflict *ConflictError
	if _, err := a.createRoom(ctx, p, RoomRequest{Name: room}); err != nil && !(errors.As(err, &conflict) && conflict.Code == CodeRoomExists) {
		return Session{}, err
	}
	return a.enter(ctx, p, room)
}
