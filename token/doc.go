// Package token mints and verifies stagedoor access tokens: compact JWS
// JSON Web Tokens signed with HS256 (an API key secret) or EdDSA (an
// Ed25519 service signing key), and the JWK/JWKS forms of signing keys.
//
// The package is the wire format only. It has no server and no storage:
// programs mint a token with [Mint] and check one with a [Verifier] that
// looks keys up through a [KeyResolver] such as a [KeySet].
//
// Parsing is strict where common JSON and JWT libraries are lenient: the
// size and character set of a token are checked before anything is
// decoded, and duplicate or case-variant member names, invalid UTF-8,
// trailing data, fractional dates and non-canonical base64url are all
// rejected. Every failure is an [*Error] whose Reason says why; use
// [errors.Is] with the Err values, for example [ErrExpired].
//
// The format is described in docs/tokens.md of the stagedoor repository.
package token
