package simulator

import "testing"

// TestSimulator runs the behaviours that leave the simulator's shared
// knobs (clock, fault injection, receiver failures) alone on one
// simulator, at once, as kassa's many requests would; each works on its
// own payments. Tests that turn a knob have simulators of their own.
func TestSimulator(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t.Run("Concurrently", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fn   func(*testing.T, *bundle)
		}{
			{"TestCards", testTestCards},
			{"InvalidCards", testInvalidCards},
			{"ThreeDSecure", testThreeDSecure},
			{"AuthorizeIsIdempotent", testAuthorizeIsIdempotent},
			{"Capture", testCapture},
			{"ConcurrentPartialCaptures", testConcurrentPartialCaptures},
			{"Void", testVoid},
			{"Refund", testRefund},
			{"DuplicateCallbacksOutOfOrder", testDuplicateCallbacksOutOfOrder},
			{"Mandates", testMandates},
			{"APIAuthentication", testAPIAuthentication},
			{"TablesAreOutsideTenancy", testTablesAreOutsideTenancy},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, b)
			})
		}
	})
	// Last, over everything the others left in the tables and logs.
	t.Run("NoCardNumberIsStored", func(t *testing.T) { testNoCardNumberIsStored(t, b) })
}
