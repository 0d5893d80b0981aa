package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// verifyBuffers holds the buffers verify answers are written into.
var verifyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeVerified writes v as writeJSON would, without reflection: the answer
// to every check a media server makes.
func writeVerified(w http.ResponseWriter, v verifyResponse) {
	bp := verifyBuffers.Get().(*[]byte)
	defer verifyBuffers.Put(bp)
	b, ok := v.appendJSON((*bp)[:0])
	if !ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	*bp = b
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// appendJSON appends v as the JSON encoding/json writes for it, up to the
// escaping of <, > and &, and a newline. It reports false, for encoding/json
// to write instead, when a string is not valid UTF-8.
func (v verifyResponse) appendJSON(b []byte) ([]byte, bool) {
	var err error
	str := func(name, s string) {
		if err == nil {
			b = append(b, name...)
			b, err = jsontext.AppendQuote(b, s)
		}
	}
	list := func(name string, items []string) {
		b = append(b, name...)
		b = append(b, '[')
		for i, s := range items {
			if i > 0 {
				b = append(b, ',')
			}
			if err == nil {
				b, err = jsontext.AppendQuote(b, s)
			}
		}
		b = append(b, ']')
	}
	if v.Allowed {
		b = append(b, `{"allowed":true`...)
	} else {
		b = append(b, `{"allowed":false`...)
	}
	str(`,"sub":`, v.Subject)
	str(`,"app":`, v.App)
	str(`,"role":`, v.Role)
	if v.Permissions == nil {
		b = append(b, `,"permissions":null`...)
	} else {
		list(`,"permissions":`, v.Permissions)
	}
	if len(v.Rooms) > 0 {
		list(`,"rooms":`, v.Rooms)
	}
	if v.Participant != "" {
		str(`,"participant":`, v.Participant)
	}
	b = append(b, `,"expires_at":"`...)
	b = v.ExpiresAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\"}\n"...)
	return b, err == nil
}
