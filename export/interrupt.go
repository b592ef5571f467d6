package export

import (
	"context"
	"errors"
)

// StatusInterrupted is the status of a run, account or stream stopped by
// SIGINT or SIGTERM: what finished is committed, the rest waits for the
// next run.
const StatusInterrupted Status = "interrupted"

// InterruptError is the cancel cause of a run's context when a signal
// stopped it. Apply reports the run as interrupted with ExitCode.
type InterruptError struct {
	Signal   string // "SIGINT", "SIGTERM"
	ExitCode int    // 130 for SIGINT, 143 for SIGTERM (128 + the signal number)
}

func (e *InterruptError) Error() string { return "interrupted by " + e.Signal }

// interruption returns why ctx ended when a signal (or a plain
// cancellation, taken as SIGINT) ended it, and nil while ctx is live or
// when it ended on a deadline.
func interruption(ctx context.Context) *InterruptError {
	if ctx.Err() == nil {
		return nil
	}
	var ie *InterruptError
	if errors.As(context.Cause(ctx), &ie) {
		return ie
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return &InterruptError{Signal: "SIGINT", ExitCode: 130}
	}
	return nil
}

// isInterrupt reports an error caused by a signal's cancellation.
func isInterrupt(err error) bool {
	var ie *InterruptError
	return errors.As(err, &ie)
}

// notStarted is the result of an account the interruption came before.
func notStarted(t target, ie *InterruptError) AccountResult {
	return AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusInterrupted,
		Error: ie.Error() + " before it started: the next run does it"}
}
