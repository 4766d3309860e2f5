package checkout_test

import (
	"testing"

	"kassa/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
