package access

import (
	"errors"
	"strings"
	"testing"
)

// Anonymous users all share one subject and have no id of their own;
// everyone else needs an id that follows the name rule.
func TestSubjectOf(t *testing.T) {
	for _, tc := range []struct {
		typ    UserType
		userID string
		want   string
		fault  string
	}{
		{Authenticated, "alice", "alice", ""},
		{GuestUser, "guest-1", "guest-1", ""},
		{Anonymous, "", AnonymousSubject, ""},
		{Anonymous, AnonymousSubject, AnonymousSubject, ""},
		{Anonymous, "bob", "", "anonymous users have no user id"},
		{Authenticated, "", "", "required"},
		{GuestUser, "", "", "required"},
		{Authenticated, "a/b", "", "must not contain '/'"},
		{Authenticated, "..", "", "cannot be a name"},
	} {
		got, err := SubjectOf(tc.typ, tc.userID)
		if tc.fault == "" {
			if err != nil || got != tc.want {
				t.Errorf("SubjectOf(%s, %q) = %q, %v; want %q", tc.typ, tc.userID, got, err, tc.want)
			}
			continue
		}
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Field != "user_id" || !strings.Contains(ie.Detail, tc.fault) {
			t.Errorf("SubjectOf(%s, %q) = %q, %v; want a user_id fault %q", tc.typ, tc.userID, got, err, tc.fault)
		}
	}
}
