// Package client is the Go client of stagedoor's HTTP API.
//
// A partner backend holds an API key and its secret:
//
//	c, err := client.New("https://stagedoor.example.com", client.WithAPIKey(key, secret))
//	tok, err := c.CreateToken(ctx, client.TokenRequest{UserID: "alice", Role: "host", Rooms: []string{"demo"}})
//
// and mints tokens for the users it has logged in, creates guests, rooms
// and revocations, moderates sessions, and introspects tokens. A media
// server asks Verify whether a token may do something in a room (or
// checks tokens offline with package verifier).
//
// An end user's program holds only its access token, kept fresh by a
// TokenSource (an oauth2.TokenSource): through /v1/tokens/refresh with a
// refresh token (Client.TokenSource), or through a RefreshFunc that asks
// the app's backend (NewTokenSource). One refresh is in flight however
// many goroutines ask, temporary failures are tried again with backoff
// and jitter, and a refusal stops the source with its *Error.
//
//	ts, err := client.NewTokenSource(askMyBackend)
//	user, err := client.New(baseURL, client.WithTokenSource(ts))
//	rs, err := user.JoinRoom(ctx, "demo", client.OnEvent(show))
//	defer rs.Close()
//
// JoinRoom returns a RoomSession that waits in the waiting room when the
// token only allows asking, keeps the lease with heartbeats, and follows
// the room's events, resuming with Last-Event-ID after a dropped stream;
// Close leaves and stops every goroutine.
//
// Every refusal of the API is an *Error carrying its problem+json (Code,
// Status, Detail, Field, missing permission) and Retry-After; test for it
// with errors.As. Names that could not be addressed (an empty room, "..")
// are refused before any request, with an error matching access.ErrInvalid.
// The package needs no other part of stagedoor than its public packages.
package client
