package token

import "strconv"

// appendClaims appends the JSON claim set to b, without reflection. iss
// and dev override the claims' own values; perms are the sorted
// permissions. The claims must have passed checkClaims.
func appendClaims(b []byte, c *Claims, iss string, dev bool, perms []string) []byte {
	b = append(b, '{')
	b = appendMember(b, `"iss":`, iss)
	b = appendMember(b, `"sub":`, c.Subject)
	b = appendMember(b, `"aud":`, string(c.Audience))
	b = append(b, `"exp":`...)
	b = strconv.AppendInt(b, c.ExpiresAt.Unix(), 10)
	if !c.NotBefore.IsZero() {
		b = append(b, `,"nbf":`...)
		b = strconv.AppendInt(b, c.NotBefore.Unix(), 10)
	}
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt.Unix(), 10)
	b = append(b, `,"jti":`...)
	b = appendString(b, c.ID)
	if c.App != "" {
		b = append(b, `,"app":`...)
		b = appendString(b, c.App)
	}
	if dev {
		b = append(b, `,"dev":true`...)
	}
	g := &c.Grants
	b = append(b, `,"grants":{`...)
	n := len(b)
	if g.Role != "" {
		b = append(b, `"role":`...)
		b = appendString(b, g.Role)
	}
	if len(perms) > 0 {
		b = appendComma(b, n)
		b = append(b, `"permissions":`...)
		b = appendStrings(b, perms)
	}
	if g.Rooms != nil {
		b = appendComma(b, n)
		b = append(b, `"rooms":`...)
		b = appendStrings(b, g.Rooms)
	}
	if g.Participant != "" {
		b = appendComma(b, n)
		b = append(b, `"participant":`...)
		b = appendString(b, g.Participant)
	}
	b = append(b, '}')
	if u := c.User; u != nil {
		b = append(b, `,"user":{"type":`...)
		b = appendString(b, string(u.Type))
		if u.Name != "" {
			b = append(b, `,"name":`...)
			b = appendString(b, u.Name)
		}
		if u.Image != "" {
			b = append(b, `,"image":`...)
			b = appendString(b, u.Image)
		}
		if u.Metadata != nil {
			b = append(b, `,"metadata":`...)
			b = append(b, trimSpace(u.Metadata)...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendMember appends `"name":"value",` unless value is empty.
func appendMember(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, name...)
	b = appendString(b, value)
	return append(b, ',')
}

// appendComma appends a comma unless b has grown no longer than n.
func appendComma(b []byte, n int) []byte {
	if len(b) > n {
		b = append(b, ',')
	}
	return b
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. s must be valid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
