package token

import "strings"

// nameSet detects duplicate member names: a linear scan for small
// objects, a map beyond that.
type nameSet struct {
	small [8]string
	n     int
	m     map[string]struct{}
}

func (s *nameSet) add(name string) bool {
	if s.m == nil {
		for _, x := range s.small[:s.n] {
			if x == name {
				return false
			}
		}
		if s.n < len(s.small) {
			s.small[s.n] = name
			s.n++
			return true
		}
		s.m = make(map[string]struct{}, 2*len(s.small))
		for _, x := range s.small {
			s.m[x] = struct{}{}
		}
	}
	if _, dup := s.m[name]; dup {
		return false
	}
	s.m[name] = struct{}{}
	return true
}

// foldsToAny reports whether name is a case variant of one of known,
// equal to it under Unicode case folding but not byte for byte.
func foldsToAny(name string, known []string) bool {
	for _, k := range known {
		if name != k && strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

// quote returns name in double quotes for error details, cut to 64 bytes.
func quote(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	return `"` + strings.ToValidUTF8(name, "?") + `"`
}
