package terminal_test

import (
	"flag"
	"os"
	"testing"

	"kassa/db/dbtest"
)

// TestMain starts PostgreSQL for the tests, but not for fuzzing: the fuzz
// targets need no database.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	dbtest.Main(m)
}
