package access

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckProfile(t *testing.T) {
	for _, tc := range []struct {
		name, image, metadata string
		field                 string
	}{
		{"Alice", "https://example.com/a.png", `{"seat":4}`, ""},
		{"", "", "", ""},
		{strings.Repeat("n", MaxUserNameLen), strings.Repeat("i", MaxImageLen), `"` + strings.Repeat("m", MaxMetadataLen-2) + `"`, ""},
		{"Zoë 🎤", "", "null", ""},
		{strings.Repeat("n", MaxUserNameLen+1), "", "", "name"},
		{"Al\nice", "", "", "name"},
		{"Al\x7fice", "", "", "name"},
		{"Al\xffice", "", "", "name"},
		{"", strings.Repeat("i", MaxImageLen+1), "", "image"},
		{"", "x\ty", "", "image"},
		{"", "", `"` + strings.Repeat("m", MaxMetadataLen-1) + `"`, "metadata"},
		{"", "", "{team: blue}", "metadata"},
		{"", "", "1 2", "metadata"},
	} {
		err := CheckProfile(tc.name, tc.image, []byte(tc.metadata))
		var inv *InvalidError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("CheckProfile(%q, %q, %q) = %v, want nil", tc.name, tc.image, tc.metadata, err)
		case tc.field != "" && (!errors.As(err, &inv) || inv.Field != tc.field):
			t.Errorf("CheckProfile(%q, %q, %q) = %v, want an InvalidError naming %s", tc.name, tc.image, tc.metadata, err, tc.field)
		}
	}
}
