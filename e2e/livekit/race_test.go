//go:build race

package livekit_test

// raceBuild builds stagedoor with the race detector when the tests run
// with it.
const raceBuild = true
