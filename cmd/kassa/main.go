// Command kassa is the one binary of the kassa payment platform: the
// server, its database migrations, and the operator's tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `kassa: a payment platform for merchants

Usage:
  kassa serve [--demo] [--pprof ADDR]
                                 start the server (embedded PostgreSQL unless KASSA_DATABASE_URL is set)
  kassa migrate                  apply database migrations and exit
  kassa merchants create --name NAME --owner-email EMAIL --owner-password PW [--owner-name NAME] [--json]
                                 create a merchant with its owner and first API key
  kassa users reset-password --email EMAIL --password PW
                                 set a person's password (operator recovery)
  kassa bench [--scenario NAME] [--duration D] [--concurrency N] [--json FILE] [--target URL --database-url URL]
                                 benchmark kassa's flows against a same-run PostgreSQL baseline (pgbench)
  kassa billing run-once [--now RFC3339] [--work 30s]
                                 run one billing sweep (as if at --now); charges are worked by
                                 a running 'kassa serve', or here for --work
  kassa testenv -- COMMAND [ARGS...]
                                 run COMMAND with an ephemeral PostgreSQL cluster in
                                 KASSA_TEST_DATABASE_URL (how 'make test' runs the tests)

Configuration is by environment variables; see the README.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	var exit exitCode
	if errors.As(err, &exit) {
		os.Exit(int(exit))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kassa:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with a code and no message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:])
	case "migrate":
		return cmdMigrate(ctx, args[1:])
	case "merchants":
		if len(args) > 1 && args[1] == "create" {
			return cmdMerchantsCreate(ctx, args[2:])
		}
	case "users":
		if len(args) > 1 && args[1] == "reset-password" {
			return cmdResetPassword(ctx, args[2:])
		}
	case "billing":
		if len(args) > 1 && args[1] == "run-once" {
			return cmdBillingRunOnce(ctx, args[2:])
		}
	case "testenv":
		return cmdTestenv(ctx, args[1:])
	case "bench":
		return cmdBench(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return exitCode(2)
}
