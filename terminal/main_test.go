package terminal_test

import (
	"testing"

	"kassa/db/dbtest"
)

// TestMain starts PostgreSQL for the tests, but not for fuzzing: the fuzz
// targets need no database.
func TestMain(m *testing.M) { dbtest.Main(m) }
