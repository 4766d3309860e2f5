package main

import (
	"context"
	"flag"
	"fmt"
	"time"
)

// cmdBillingRunOnce runs one billing sweep, as the cron runner inside
// `kassa serve` does every minute. --now bills as if it were that time
// (to try schedules, and in tests); the charges are worked by the River
// workers of any running `kassa serve`, or by this process with --work.
func cmdBillingRunOnce(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("billing run-once", flag.ContinueOnError)
	nowFlag := fs.String("now", "", "bill as if it were this time (RFC 3339), e.g. 2027-01-01T00:00:00Z")
	work := fs.Duration("work", 0, "also work the charge jobs in this process for up to this long (e.g. 30s)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("--now must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
		}
		now = t
	}
	_, _, d, srv, err := newServer(ctx)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	r, err := srv.Billing().Sweep(ctx, now)
	if err != nil {
		return err
	}
	fmt.Printf("billing sweep at %s: %d subscriptions billed, %d invoices created, %d failed charges retried, %d card warnings\n",
		now.UTC().Format(time.RFC3339), r.Subscriptions, r.Invoices, r.Retries, r.CardWarnings)
	if *work > 0 {
		wctx, cancel := context.WithTimeout(ctx, *work)
		defer cancel()
		if err := srv.Jobs().Start(wctx); err != nil {
			return err
		}
		<-wctx.Done()
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = srv.Jobs().Stop(stopCtx)
	}
	return nil
}
