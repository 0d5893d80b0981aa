package authority

import (
	"strings"
	"testing"
)

func TestWellFormedKeyID(t *testing.T) {
	for range 1000 {
		if id := newKeyID(); !WellFormedKeyID(id) {
			t.Fatalf("a new key id %q is not well-formed", id)
		}
	}
	good := newKeyID()
	for _, id := range []string{
		"",
		"sdk_",
		good[:len(good)-1],
		good + "A",
		"key_" + good[4:],
		"SDK_" + good[4:],
		good[:len(good)-1] + "+",
		good[:len(good)-1] + "/",
		good[:len(good)-1] + "=",
		good[:len(good)-1] + " ",
		good[:len(good)-2] + "é",
		good[:len(good)-1] + "\x00",
		"sdk_" + strings.Repeat("A", 10<<10),
	} {
		if WellFormedKeyID(id) {
			t.Errorf("%q is well-formed", id)
		}
	}
}
