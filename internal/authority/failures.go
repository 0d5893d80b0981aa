package authority

import (
	"context"
	"log/slog"
)

// failures logs the failures of a task that runs again and again, such as
// a background pass over the store: when it starts failing and when it
// works again, not on every attempt in between.
type failures struct {
	log *slog.Logger
	// failed and recovered are the messages of the two turns.
	failed, recovered string
	failing           bool
}

// note takes in the outcome of one run. A run cut short because ctx ended
// was stopped, not failed: nothing is logged.
func (f *failures) note(ctx context.Context, err error) {
	switch {
	case ctx.Err() != nil:
	case err != nil && !f.failing:
		f.failing = true
		f.log.Warn(f.failed, "err", err)
	case err == nil && f.failing:
		f.failing = false
		f.log.Info(f.recovered)
	}
}
