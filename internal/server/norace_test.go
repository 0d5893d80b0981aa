//go:build !race

package server

// raceEnabled reports whether the race detector is on; it slows the
// request-heavy tests enough that they send fewer requests.
const raceEnabled = false
