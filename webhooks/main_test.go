package webhooks_test

import (
	"testing"

	"kassa/db/dbtest"
)

// TestMain starts PostgreSQL for the tests, but not for fuzzing.
func TestMain(m *testing.M) { dbtest.Main(m) }
