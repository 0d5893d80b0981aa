package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
)

// knownKind reports whether a verifier knows which tokens a revocation of
// kind matches.
func knownKind(kind string) bool {
	switch kind {
	case RevokeTokenID, RevokeUserID, RevokeRoom, RevokeIssuedBefore, RevokeAPIKey, RevokeRefreshFamily:
		return true
	}
	return false
}

// check reports what keeps r from being applied as the feed means it: an
// entry needs an app, a kind, its creation and expiry times, and for a kind this
// verifier knows, the value or time that kind matches on. A revocation of
// user or room without its creation time would match no token at all.
func (r Revocation) check() error {
	switch {
	case r.App == "":
		return errors.New("no app")
	case r.Kind == "":
		return errors.New("no kind")
	case r.CreatedAt.IsZero() || r.ExpiresAt.IsZero():
		return errors.New("no created_at or expires_at")
	case r.Kind == RevokeIssuedBefore && r.IssuedBefore.IsZero():
		return errors.New("issued_before revocation without issued_before")
	case knownKind(r.Kind) && r.Kind != RevokeIssuedBefore && r.Value == "":
		return fmt.Errorf("%s revocation without a value", r.Kind)
	}
	return nil
}

// parseFeedPage reads a page of the revocation feed asked for with
// ?after=after. The page is refused whole unless it continues the feed
// where after left it: every entry complete (Revocation.check), sequence
// numbers above after and strictly increasing, one app throughout, and the
// cursor at the last entry, or at after when there is none. Applying part
// of a page, or a page out of order, would move the cursor past
// revocations never applied.
//
// Entries of a kind this verifier does not know are accepted, so that a
// newer service does not stall the feed; they match no token here.
func parseFeedPage(body []byte, after int64) (FeedPage, error) {
	var page FeedPage
	if err := json.Unmarshal(body, &page); err != nil {
		return FeedPage{}, err
	}
	last := after
	for i, r := range page.Revocations {
		if err := r.check(); err != nil {
			return FeedPage{}, fmt.Errorf("entry %d (seq %d): %w", i, r.Seq, err)
		}
		if r.Seq <= last {
			return FeedPage{}, fmt.Errorf("entry %d: seq %d does not follow %d", i, r.Seq, last)
		}
		if r.App != page.Revocations[0].App {
			return FeedPage{}, fmt.Errorf("entry %d: app %q in a feed of app %q", i, r.App, page.Revocations[0].App)
		}
		last = r.Seq
	}
	if page.Cursor != last {
		return FeedPage{}, fmt.Errorf("cursor %d, want %d", page.Cursor, last)
	}
	return page, nil
}

// addFeedPage applies a page of the feed asked for after the cursor
// after: all of it, or nothing if the page is malformed.
func (s *RevocationSet) addFeedPage(body []byte, after int64) (FeedPage, error) {
	page, err := parseFeedPage(body, after)
	if err != nil {
		return FeedPage{}, fmt.Errorf("revocation feed page after %d: %w", after, err)
	}
	s.Add(page.Revocations...)
	return page, nil
}
