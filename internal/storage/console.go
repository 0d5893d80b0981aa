package storage

import (
	"context"
	"fmt"
	"time"
)

// LoginCode is a one-time code that signs an operator in to the web
// console. Only its SHA-256 is kept; the code itself travels in the
// fragment of a console link.
type LoginCode struct {
	// Hash is the SHA-256 of the code.
	Hash []byte
	// Operator names who the code signs in.
	Operator  string
	CreatedAt time.Time
	// ExpiresAt is when the code stops working, used or not.
	ExpiresAt time.Time
	// UsedAt is when the code was redeemed; zero while it is unused.
	UsedAt time.Time
}

// Validate reports ErrInvalid if the code lacks a hash, an operator or an
// expiry.
func (c LoginCode) Validate() error {
	if len(c.Hash) == 0 || c.Operator == "" || c.ExpiresAt.IsZero() {
		return fmt.Errorf("login code needs a hash, an operator and an expiry: %w", ErrInvalid)
	}
	return nil
}

// ConsoleSession is a sign-in to the web console: an operator's, made with
// a login code, or an app owner's, made with an API key of the app.
type ConsoleSession struct {
	// ID names the session; the session's tokens carry it as their jti.
	ID string
	// Operator names the operator; empty for an app owner.
	Operator string
	// AppID and APIKeyID are the app owner's app and the key it signed in
	// with; both empty for an operator.
	AppID    string
	APIKeyID string
	// CreatedAt is when the session began.
	CreatedAt time.Time
	// ExpiresAt is when the session ends however often its tokens are
	// refreshed.
	ExpiresAt time.Time
	// RevokedAt is when the session was ended early; zero while it is
	// not.
	RevokedAt time.Time
}

// Revoked reports whether the session was ended early.
func (s ConsoleSession) Revoked() bool { return !s.RevokedAt.IsZero() }

// Live reports whether the session is neither revoked nor expired at now.
func (s ConsoleSession) Live(now time.Time) bool { return !s.Revoked() && now.Before(s.ExpiresAt) }

// Validate reports ErrInvalid unless the session has an id, an expiry and
// exactly one of an operator and an app owner's app and key.
func (s ConsoleSession) Validate() error {
	owner := s.AppID != "" && s.APIKeyID != ""
	operator := s.Operator != "" && s.AppID == "" && s.APIKeyID == ""
	if s.ID == "" || s.ExpiresAt.IsZero() || owner == operator {
		return fmt.Errorf("console session needs an id, an expiry and either an operator or an app and key: %w", ErrInvalid)
	}
	return nil
}

// ConsoleSessions stores the sign-ins of the web console.
type ConsoleSessions interface {
	// CreateLoginCode stores a new login code; ErrAlreadyExists if its
	// hash is stored already.
	CreateLoginCode(ctx context.Context, c LoginCode, audit *AuditEntry) error
	// GetLoginCode returns the code whose hash is hash, or ErrNotFound.
	GetLoginCode(ctx context.Context, hash []byte) (LoginCode, error)
	// RedeemLoginCode uses the code whose hash is hash and stores s, a
	// session of the code's operator, at once. The code must be unused,
	// unexpired at now and of s.Operator, else nothing is stored and the
	// error is ErrNotFound: of concurrent redemptions exactly one wins.
	RedeemLoginCode(ctx context.Context, hash []byte, now time.Time, s ConsoleSession, audit *AuditEntry) error
	// CreateOwnerSession stores s, an app owner's session, if its API key
	// is live (else ErrNotFound) and fewer than limit sessions of that key
	// are live at s.CreatedAt (else ErrConflict): of concurrent sign-ins
	// with one key no more than limit win.
	CreateOwnerSession(ctx context.Context, s ConsoleSession, limit int, audit *AuditEntry) error
	// GetConsoleSession returns a session, or ErrNotFound.
	GetConsoleSession(ctx context.Context, id string) (ConsoleSession, error)
	// ListConsoleSessions returns the sessions live at now, of one app
	// (appID set) or all (appID empty), oldest first.
	ListConsoleSessions(ctx context.Context, appID string, now time.Time) ([]ConsoleSession, error)
	// RevokeConsoleSession ends a session and returns it as stored:
	// ErrNotFound if there is none, ErrConflict if it was revoked
	// already.
	RevokeConsoleSession(ctx context.Context, id string, now time.Time, audit *AuditEntry) (ConsoleSession, error)
	// PruneConsole deletes the login codes and sessions expired before
	// now and returns how many it deleted.
	PruneConsole(ctx context.Context, now time.Time) (int, error)
}
