package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := &backoff{max: 10 * time.Minute}

	t.Run("DoublesFromOneSecondWithinTenPercent", func(t *testing.T) {
		for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 8: 128 * time.Second} {
			for range 100 {
				d := b.delay(attempt)
				require.GreaterOrEqual(t, d, want-want/10, "attempt %d", attempt)
				require.LessOrEqual(t, d, want+want/10, "attempt %d", attempt)
			}
		}
	})

	t.Run("NeverBeyondMax", func(t *testing.T) {
		for _, attempt := range []int{11, 12, 25, 30, 1000} { // 2^10 s is past the 10 minutes
			for range 100 {
				d := b.delay(attempt)
				require.LessOrEqual(t, d, b.max, "attempt %d", attempt)
				require.GreaterOrEqual(t, d, b.max-b.max/10, "attempt %d", attempt)
			}
		}
	})

	t.Run("TwoRetriesOfTheSameAttemptDiffer", func(t *testing.T) {
		// Jobs that failed together must not all come back together,
		// also at the cap.
		for _, attempt := range []int{1, 5, 30} {
			seen := map[time.Duration]bool{}
			for range 10 {
				seen[b.delay(attempt)] = true
			}
			require.Greater(t, len(seen), 1, "attempt %d: every retry waits exactly as long", attempt)
		}
	})
}
