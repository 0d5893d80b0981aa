package access

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what a token says about its user besides the user id: a
// display name, an image URL and free-form JSON metadata. A room's
// metadata has the same cap as a user's.
const (
	MaxUserNameLen = 256
	MaxImageLen    = 2048
	MaxMetadataLen = 4096
)

// CheckText refuses text longer than maxLen bytes or that is not printable
// UTF-8 (it holds a C0 control character or DEL). field names the request
// member at fault.
func CheckText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return &InvalidError{Field: field, Detail: fmt.Sprintf("longer than %d bytes", maxLen)}
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &InvalidError{Field: field, Detail: "must be printable UTF-8"}
	}
	return nil
}

// CheckProfile applies the limits to a user's display name, image URL and
// metadata (CheckMetadata). The errors name the fields name, image and
// metadata.
func CheckProfile(name, image string, metadata []byte) error {
	if err := CheckText("name", name, MaxUserNameLen); err != nil {
		return err
	}
	if err := CheckText("image", image, MaxImageLen); err != nil {
		return err
	}
	return CheckMetadata(metadata)
}

// CheckMetadata refuses metadata, a user's or a room's, longer than
// MaxMetadataLen bytes or, when given, not JSON. The error names the field
// metadata.
func CheckMetadata(metadata []byte) error {
	if len(metadata) > MaxMetadataLen {
		return &InvalidError{Field: "metadata", Detail: fmt.Sprintf("longer than %d bytes", MaxMetadataLen)}
	}
	if len(metadata) > 0 && !json.Valid(metadata) {
		return &InvalidError{Field: "metadata", Detail: "must be JSON"}
	}
	return nil
}
