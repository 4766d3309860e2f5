package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/fault"
)

var errTestCode = fault.Define("TEST_ONLY_CODE", "A code only this test raises.")

func TestErrorsMatchOnTheirCode(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("wrapped: %w", fault.Invalid("amount", errTestCode, "amount %d is odd", 3))
	require.ErrorIs(t, err, errTestCode)
	require.NotErrorIs(t, err, fault.ErrInvalidAmount)
	require.NotErrorIs(t, err, fault.ErrNotFound)
	require.ErrorIs(t, fault.NotFound("order"), fault.ErrNotFound)
	require.ErrorIs(t, fault.NotFound("order"), fault.ErrNotFound.Code)

	f, ok := fault.As(err)
	require.True(t, ok)
	require.Equal(t, "TEST_ONLY_CODE", f.Code.String(), "the code goes on the wire as its name")
	require.Equal(t, []string{"input", "amount"}, f.Field)
	require.Equal(t, "amount 3 is odd", f.Message)

	// A bare code returned by mistake still reaches the caller as its code.
	f, ok = fault.As(fmt.Errorf("x: %w", errTestCode))
	require.True(t, ok)
	require.Equal(t, errTestCode, f.Code)
	require.Equal(t, "A code only this test raises.", f.Message)
	_, ok = fault.As(errors.New("internal"))
	require.False(t, ok)
}

func TestDefineRefusesRepeatedAndMalformedNames(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { _ = fault.Define("TEST_ONLY_CODE", "again") })
	require.Panics(t, func() { _ = fault.Define("NOT_FOUND", "again") })
	require.Panics(t, func() { _ = fault.Define("lower_case", "a meaning") })
	require.Panics(t, func() { _ = fault.Define("TRAILING_", "a meaning") })
	require.Panics(t, func() { _ = fault.Define("NO_MEANING", "") })
}
