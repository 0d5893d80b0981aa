package token

// Error is the error returned for every token, claim and key failure.
// Compare it with the Err values using errors.Is; Reason is a stable
// machine-readable code and Detail a human-readable explanation.
type Error struct {
	// Reason is a stable code such as "malformed" or "expired".
	Reason string
	// Detail says what exactly was wrong; it may be empty.
	Detail string
}

// Error returns "token: <reason>" followed by the detail, if any.
func (e *Error) Error() string {
	if e.Detail == "" {
		return "token: " + e.Reason
	}
	return "token: " + e.Reason + ": " + e.Detail
}

// Is reports whether target is an *Error with the same Reason, so that
// errors.Is(err, ErrExpired) holds for every expired-token error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Errors that Verify, Inspect, Mint and the key functions return, each
// identified by its Reason. Returned errors carry a Detail as well, so
// compare with errors.Is, never with ==.
var (
	// ErrMalformed reports a token or claim set that is not well-formed.
	ErrMalformed = &Error{Reason: "malformed"}
	// ErrTooLarge reports a token longer than the verifier's maximum size.
	ErrTooLarge = &Error{Reason: "too_large"}
	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = &Error{Reason: "bad_signature"}
	// ErrUnknownKey reports a key id that the key resolver does not know.
	ErrUnknownKey = &Error{Reason: "unknown_key"}
	// ErrAlgorithmNotAllowed reports an alg that is unsupported or is not
	// the algorithm of the key named by kid.
	ErrAlgorithmNotAllowed = &Error{Reason: "algorithm_not_allowed"}
	// ErrExpired reports a token whose exp has passed.
	ErrExpired = &Error{Reason: "expired"}
	// ErrNotYetValid reports a token whose nbf or iat is in the future.
	ErrNotYetValid = &Error{Reason: "not_yet_valid"}
	// ErrWrongAudience reports an aud other than the expected audience.
	ErrWrongAudience = &Error{Reason: "wrong_audience"}
	// ErrWrongIssuer reports an HS256 token whose iss is not its kid.
	ErrWrongIssuer = &Error{Reason: "wrong_issuer"}
	// ErrLifetimeTooLong reports an exp - iat above the key's maximum TTL.
	ErrLifetimeTooLong = &Error{Reason: "lifetime_too_long"}
	// ErrDevelopmentToken reports a development token presented to a
	// verifier created with RejectDevelopment.
	ErrDevelopmentToken = &Error{Reason: "development_token"}
	// ErrInvalidClaims reports claims that Mint cannot encode.
	ErrInvalidClaims = &Error{Reason: "invalid_claims"}
	// ErrInvalidKey reports unusable key material or a bad JWK.
	ErrInvalidKey = &Error{Reason: "invalid_key"}
)

func newError(sentinel *Error, detail string) *Error {
	return &Error{Reason: sentinel.Reason, Detail: detail}
}

func malformed(detail string) *Error { return newError(ErrMalformed, detail) }
