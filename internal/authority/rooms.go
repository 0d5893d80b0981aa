package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// RoomRequest asks for a new room. Unset fields take the defaults of the
// creator's role (access.DefaultRoomSettings).
type RoomRequest struct {
	Name            string
	Type            string
	MaxProducers    int
	MaxParticipants int
	Metadata        json.RawMessage
}

// CreateRoom creates a live room: with an API key, or with a token holding
// room.create in that room (a token bound to rooms creates only those).
func (a *Authority) CreateRoom(ctx context.Context, actor Principal, req RoomRequest) (Room, error) {
	if err := access.CheckName("name", req.Name); err != nil {
		return Room{}, err
	}
	if err := access.CheckMetadata(req.Metadata); err != nil {
		return Room{}, err
	}
	if string(req.Metadata) == "null" {
		req.Metadata = nil
	}
	p, err := a.party(ctx, actor, req.Name)
	if err != nil {
		return Room{}, err
	}
	return a.createRoom(ctx, p, req)
}

// createRoom creates the room req describes for party p.
func (a *Authority) createRoom(ctx context.Context, p *party, req RoomRequest) (Room, error) {
	var creator access.Role
	if p.v != nil {
		if err := p.v.Grants.Check(req.Name, "", access.RoomCreate); err != nil {
			return Room{}, err
		}
		creator = a.role(p.app, p.v.Grants.Role)
	}
	set, err := access.DefaultRoomSettings(creator, access.RoomSettings{
		Type: access.RoomType(req.Type), MaxProducers: req.MaxProducers, MaxParticipants: req.MaxParticipants,
	})
	if err != nil {
		return Room{}, err
	}
	room := storage.Room{
		AppID: p.app, Name: req.Name, Type: string(set.Type), MaxProducers: set.MaxProducers,
		MaxParticipants: set.MaxParticipants, Metadata: req.Metadata, CreatedBy: p.name, CreatedAt: a.now(),
	}
	detail, _ := json.Marshal(map[string]any{"type": room.Type, "max_producers": room.MaxProducers, "max_participants": room.MaxParticipants})
	audit := &storage.AuditEntry{Actor: p.name, Action: "room.create", AppID: p.app, Target: room.Name, Detail: detail}
	err = a.store.CreateRoom(ctx, room, audit)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return Room{}, &ConflictError{Code: CodeRoomExists, Detail: fmt.Sprintf("room %q is live", room.Name)}
	case err != nil:
		return Room{}, err
	}
	return roomOf(room), nil
}

// Room shows a room, its sessions, who waits and who produces what: to an
// API key, to a participant admitted to the room, and to a token holding a
// moderate.* permission in the room (who manages the waiting room without
// being in it).
func (a *Authority) Room(ctx context.Context, actor Principal, name string) (RoomView, error) {
	p, err := a.party(ctx, actor, name)
	if err != nil {
		return RoomView{}, err
	}
	room, err := a.getRoom(ctx, p.app, name)
	if err != nil {
		return RoomView{}, err
	}
	sessions, err := a.store.ListSessions(ctx, p.app, name)
	if err != nil {
		return RoomView{}, err
	}
	if p.v != nil {
		own, found := findParticipant(sessions, p.identity)
		switch {
		case found && own.State == storage.SessionWaiting:
			return RoomView{}, notAdmitted("the participant waits to be admitted")
		case !found && p.v.Grants.Permissions&access.Moderate == 0:
			return RoomView{}, notAdmitted(fmt.Sprintf("participant %q is not in room %q", p.identity, name))
		}
	}
	out := RoomView{Room: roomOf(room), Sessions: make([]Session, len(sessions))}
	for i, ses := range sessions {
		out.Sessions[i] = sessionOf(ses)
	}
	return out, nil
}

// EndRoom ends a live room: every session in it ends (room_ended) and every
// token issued so far stops working in it (a room revocation). An API key,
// the room's creator or a holder of moderate.kick in the room may end it.
func (a *Authority) EndRoom(ctx context.Context, actor Principal, name string) error {
	p, err := a.party(ctx, actor, name)
	if err != nil {
		return err
	}
	room, err := a.getRoom(ctx, p.app, name)
	if err != nil {
		return err
	}
	if p.v != nil && room.CreatedBy != p.name {
		if err := p.v.Grants.Check(name, "", access.ModerateKick); err != nil {
			return err
		}
	}
	now := a.now()
	audit := &storage.AuditEntry{Actor: p.name, Action: "room.end", AppID: p.app, Target: name}
	_, err = a.store.EndRoom(ctx, p.app, name, now, audit)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &NotFoundError{What: "room", Name: name}
	case errors.Is(err, storage.ErrConflict):
		return roomEnded(name)
	case err != nil:
		return err
	}
	r := storage.Revocation{AppID: p.app, Kind: storage.RevocationRoom, Value: name, CreatedAt: now, ExpiresAt: a.revocationExpiry(now)}
	revAudit := &storage.AuditEntry{Actor: p.name, Action: "revocation.create", AppID: p.app, Target: name, Detail: []byte(`{"kind":"room"}`)}
	stored, err := a.store.AddRevocation(ctx, r, revAudit)
	if err != nil {
		return err
	}
	a.applyOwn(stored)
	return nil
}

// getRoom returns a room, live or ended.
func (a *Authority) getRoom(ctx context.Context, app, name string) (storage.Room, error) {
	room, err := a.store.GetRoom(ctx, app, name)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Room{}, &NotFoundError{What: "room", Name: name}
	}
	return room, err
}

// role returns an app's role by name; an unknown role (a custom role since
// deleted) is a role of rank 0 with no permissions.
func (a *Authority) role(app, name string) access.Role {
	if cat, err := a.catalog(app); err == nil {
		if r, err := cat.Role(name); err == nil {
			return r
		}
	}
	return access.Role{Name: name}
}

// ownSession is participant's live session in room, read by index: what
// a participant's own requests need, whatever the room's size.
func (a *Authority) ownSession(ctx context.Context, app, room, participant string) (storage.Session, bool, error) {
	s, err := a.store.ParticipantSession(ctx, app, room, participant)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, false, nil
	}
	return s, err == nil, err
}

func findParticipant(sessions []storage.Session, participant string) (storage.Session, bool) {
	for _, s := range sessions {
		if s.Participant == participant {
			return s, true
		}
	}
	return storage.Session{}, false
}
