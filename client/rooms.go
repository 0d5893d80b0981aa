package client

import (
	"context"
	"net/http"
	"net/url"
)

// CreateRoom creates a live room: with an API key, or with a token holding
// room.create (whose role sets the room's defaults).
func (c *Client) CreateRoom(ctx context.Context, req RoomRequest) (Room, error) {
	var r Room
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/rooms", body: req}, &r)
	return r, err
}

// Room returns a room with its participants, waiting sessions and
// producers.
func (c *Client) Room(ctx context.Context, room string) (RoomView, error) {
	var v RoomView
	p, err := roomPath(room)
	if err == nil {
		err = c.do(ctx, call{method: http.MethodGet, path: p}, &v)
	}
	return v, err
}

// EndRoom ends a room: its sessions end and its tokens are revoked.
func (c *Client) EndRoom(ctx context.Context, room string) error {
	p, err := roomPath(room)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p}, nil)
}

// Join enters a room with the client's access token and returns the new
// session: joined, or waiting for a moderator when the token holds
// room.ask_join and not room.join. JoinRoom does the same and then keeps
// the session alive.
func (c *Client) Join(ctx context.Context, room string) (Session, error) {
	p, err := roomPath(room)
	if err != nil {
		return Session{}, err
	}
	return c.session(ctx, http.MethodPost, p+"/join", nil, nil)
}

// session sends a call that answers a session.
func (c *Client) session(ctx context.Context, method, path string, query url.Values, body any) (Session, error) {
	var s Session
	err := c.do(ctx, call{method: method, path: path, query: query, body: body}, &s)
	return s, err
}

// onSession sends a call about one session of a room that answers it.
func (c *Client) onSession(ctx context.Context, method, room, session, action string, body any) (Session, error) {
	p, err := sessionPath(room, session)
	if err != nil {
		return Session{}, err
	}
	return c.session(ctx, method, p+action, nil, body)
}

// Heartbeat renews the lease of the caller's own session.
func (c *Client) Heartbeat(ctx context.Context, room, session string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/heartbeat", nil)
}

// Leave ends the caller's own session.
func (c *Client) Leave(ctx context.Context, room, session string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/leave", nil)
}

type sourceBody struct {
	Source string `json:"source"`
}

// Produce starts producing source (camera, microphone or screen). The
// first source takes one of the room's producer slots: when none is free,
// a 409 *Error with Code room_full.
func (c *Client) Produce(ctx context.Context, room, session, source string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/produce", sourceBody{source})
}

// Unproduce stops producing source; the last one frees the producer slot.
func (c *Client) Unproduce(ctx context.Context, room, session, source string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/unproduce", sourceBody{source})
}

// SessionToken mints a token from the session's current rights, after a
// moderator changed them; under the continuous policy it also becomes
// the token the session runs on.
func (c *Client) SessionToken(ctx context.Context, room, session string) (Token, error) {
	var t Token
	p, err := sessionPath(room, session)
	if err == nil {
		err = c.do(ctx, call{method: http.MethodPost, path: p + "/token"}, &t)
	}
	return t, err
}

// RequestPermission raises a hand: the session asks a moderator for a
// permission it lacks.
func (c *Client) RequestPermission(ctx context.Context, room, session, permission string) (PermissionRequest, error) {
	var r PermissionRequest
	p, err := sessionPath(room, session)
	if err == nil {
		body := struct {
			Permission string `json:"permission"`
		}{permission}
		err = c.do(ctx, call{method: http.MethodPost, path: p + "/requests", body: body}, &r)
	}
	return r, err
}

// GrantRequest grants a raised hand, within what the moderator holds.
func (c *Client) GrantRequest(ctx context.Context, room, session, request string) (ResolvedRequest, error) {
	return c.resolve(ctx, room, session, request, "/grant")
}

// DenyRequest denies a raised hand.
func (c *Client) DenyRequest(ctx context.Context, room, session, request string) (ResolvedRequest, error) {
	return c.resolve(ctx, room, session, request, "/deny")
}

func (c *Client) resolve(ctx context.Context, room, session, request, action string) (ResolvedRequest, error) {
	var r ResolvedRequest
	p, err := sessionPath(room, session)
	if err != nil {
		return r, err
	}
	id, err := segment("request", request)
	if err == nil {
		err = c.do(ctx, call{method: http.MethodPost, path: p + "/requests/" + id + action}, &r)
	}
	return r, err
}

// Admit lets a waiting session in (moderate.admit).
func (c *Client) Admit(ctx context.Context, room, session string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/admit", nil)
}

// Reject turns a waiting session away (moderate.admit): it ends,
// rejected.
func (c *Client) Reject(ctx context.Context, room, session string) (Session, error) {
	return c.onSession(ctx, http.MethodPost, room, session, "/reject", nil)
}

// UpdateSession changes another participant's session: mutes sources
// (moderate.mute), sets its role or its permissions (moderate.permissions,
// never beyond the moderator's own, never to a role ranked above it).
func (c *Client) UpdateSession(ctx context.Context, room, session string, change SessionChange) (Session, error) {
	return c.onSession(ctx, http.MethodPatch, room, session, "", change)
}

// Mute stops the session producing sources.
func (c *Client) Mute(ctx context.Context, room, session string, sources ...string) (Session, error) {
	return c.UpdateSession(ctx, room, session, SessionChange{Mute: sources})
}

// SetRole gives the session a role, with the role's permissions.
func (c *Client) SetRole(ctx context.Context, room, session, role string) (Session, error) {
	return c.UpdateSession(ctx, room, session, SessionChange{Role: role})
}

// Kick ends the session (moderate.kick); with block, its participant may
// not join the room again.
func (c *Client) Kick(ctx context.Context, room, session string, block bool) (Session, error) {
	p, err := sessionPath(room, session)
	if err != nil {
		return Session{}, err
	}
	var q url.Values
	if block {
		q = url.Values{"block": {"true"}}
	}
	return c.session(ctx, http.MethodDelete, p, q, nil)
}
