// Package e2e drives kassa from the outside, as its users do: the real
// server on its own port with its background loops (the simulator's
// callbacks, River jobs, live updates), a real SMTP server (mailpit, pinned
// in the tools module) read through its HTTP API, GraphQL over HTTP and
// websockets, the payment page over plain HTTP and in headless Chromium.
//
// Every test has its own database, server and mailpit, so they run in
// parallel. Run them with `make test`, or:
//
//	go build -o bin/kassa ./cmd/kassa && bin/kassa testenv -- go test -count=1 ./e2e/
package e2e

import (
	"testing"

	"kassa/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
