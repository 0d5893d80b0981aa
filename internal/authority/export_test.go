package authority

// Lifetimes the tests check revocations against.
const (
	RefreshTTL     = refreshTTL
	CredentialLife = credentialLife
)
