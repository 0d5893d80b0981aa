package access

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzParsePermission checks that exactly the vocabulary's names parse,
// byte for byte, and that each parses to the permission that prints as
// it.
func FuzzParsePermission(f *testing.F) {
	for _, p := range Vocabulary() {
		f.Add(p.String())
	}
	for _, s := range []string{"", "Room.Join", "room.join ", "room.joın", "room.*", "moderate", "produce.camera\x00", "permission(0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePermission(s)
		known := slices.ContainsFunc(Vocabulary(), func(v Permission) bool { return v.String() == s })
		if err != nil {
			var unknown *UnknownPermissionError
			if known || !errors.As(err, &unknown) || unknown.Name != s || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParsePermission(%q): %v", s, err)
			}
			return
		}
		if !known || p.String() != s || !All.Has(p) {
			t.Fatalf("ParsePermission(%q) = %v", s, p)
		}
	})
}

// FuzzParseSet parses comma-separated permission lists, in stagedoor's
// names and in VideoSDK's. A list with any unknown name yields no
// permission at all; an accepted one yields exactly its names, and its
// set prints back to names that parse to the same set.
func FuzzParseSet(f *testing.F) {
	f.Add("room.join,consume")
	f.Add(All.String())
	f.Add("consume,consume,room.join")
	f.Add("room.join,teleport")
	f.Add("room.join,")
	f.Add("allow_join,ask_join,allow_mod")
	f.Add("allow_join,room.join")
	f.Fuzz(func(t *testing.T, list string) {
		names := strings.Split(list, ",")
		set, err := ParseSet(names)
		if err != nil {
			if set != 0 || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseSet(%q) = %v, %v", names, set, err)
			}
			if !slices.ContainsFunc(names, func(n string) bool { _, err := ParsePermission(n); return err != nil }) {
				t.Fatalf("ParseSet(%q) rejects known names: %v", names, err)
			}
		} else {
			var want Set
			for _, n := range names {
				p, err := ParsePermission(n)
				if err != nil {
					t.Fatalf("ParseSet(%q) accepts %q: %v", names, n, err)
				}
				want |= Of(p)
			}
			if set != want || !All.Contains(set) {
				t.Fatalf("ParseSet(%q) = %v, want %v", names, set, want)
			}
			out := set.Names()
			if !slices.IsSorted(out) || len(slices.Compact(slices.Clone(out))) != set.Len() {
				t.Fatalf("Names() = %q: not sorted and unique", out)
			}
			if again, err := ParseSet(out); err != nil || again != set {
				t.Fatalf("ParseSet(%q) = %v, %v; want %v", out, again, err, set)
			}
		}

		vs, err := VideoSDKPermissions(names)
		if err != nil {
			if vs != 0 || !errors.Is(err, ErrInvalid) {
				t.Fatalf("VideoSDKPermissions(%q) = %v, %v", names, vs, err)
			}
			return
		}
		if slices.ContainsFunc(names, func(n string) bool { return n != "allow_join" && n != "ask_join" && n != "allow_mod" }) ||
			!Of(RoomJoin, ModerateAdmit, RoomAskJoin, ModerateMute).Contains(vs) {
			t.Fatalf("VideoSDKPermissions(%q) = %v: beyond VideoSDK's words", names, vs)
		}
	})
}

// FuzzValidRoleName checks the role-name rule against its statement as a
// regular expression.
func FuzzValidRoleName(f *testing.F) {
	for _, r := range Builtin() {
		f.Add(r.Name)
	}
	for _, s := range []string{"", "Host", "-a", "a-", "a\n", strings.Repeat("a", 65), "é"} {
		f.Add(s)
	}
	rule := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := ValidRoleName(name), rule.MatchString(name); got != want {
			t.Fatalf("ValidRoleName(%q) = %v, want %v", name, got, want)
		}
	})
}
