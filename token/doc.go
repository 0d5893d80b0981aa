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
// # Grants and the access package
//
// The package imports stagedoor's pure domain, package access, and nothing
// else of stagedoor: the key kinds, audiences, user types, lifetime caps
// and the permission vocabulary are access's, defined there once. [Spec]
// and [NewClaims] write grants resolved by access into claims, and
// [GrantsOf] reads a token's grants back in access's terms; the service,
// the stagedoor CLI and the verifier package all go through them.
//
// Mint speaks the vocabulary: it refuses a permission access does not know
// and a role that is not a role name ([access.ValidRoleName]). It has no
// role catalog, so a custom role of some app cannot be told from a
// misspelt one; whoever mints resolves roles against the app's catalog
// first, as the service does. [Verifier.Verify] checks the format and
// leaves the vocabulary to GrantsOf, which refuses the same names as
// malformed: a tool can still show a token with a permission it does not
// know, but nothing decides access from it.
//
// The format is described in docs/tokens.md of the stagedoor repository.
package token
