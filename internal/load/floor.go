package load

import (
	"io"
	"net/http"
)

// FloorBody is what the floor answers to every request.
const FloorBody = `{"allowed":true,"sub":"alice"}`

// Floor is the bare handler load results are compared with: it reads the
// request body and answers 200 with FloorBody. Driven in a process of its
// own with the same load as a stagedoor node, it gives the most an HTTP
// server on this machine can do, so a node's throughput can be stated as
// a ratio of it that holds from one machine, or one moment, to the next.
func Floor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, FloorBody)
	})
}
