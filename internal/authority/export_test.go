package authority

// Lifetimes the tests check revocations against.
const (
	RefreshTTL     = refreshTTL
	CredentialLife = credentialLife
)

// SetCatalogPage sets how many catalog changes a reads at once; call it
// before Start.
func SetCatalogPage(a *Authority, n int) { a.catalogPage = n }
