package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"kassa/auth"
	"kassa/fault"
	"kassa/gid"
	"kassa/logging"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
	"kassa/server"
)

func setup(ctx context.Context) (server.Config, *slog.Logger, *database, error) {
	cfg, err := server.FromEnv()
	if err != nil {
		return cfg, nil, nil, err
	}
	log := logging.New(os.Stderr, cfg.LogLevel)
	d, err := openDatabase(ctx, cfg, log)
	return cfg, log, d, err
}

// newServer sets up the configuration, database and server for a CLI
// command; close the database when done.
func newServer(ctx context.Context) (server.Config, *slog.Logger, *database, *server.Server, error) {
	cfg, log, d, err := setup(ctx)
	if err != nil {
		return cfg, log, nil, nil, err
	}
	srv, err := server.New(cfg, d.DB, log)
	if err != nil {
		d.Close(ctx)
		return cfg, log, nil, nil, err
	}
	return cfg, log, d, srv, nil
}

func cmdServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "create a demo merchant if none exists and print how to use it")
	pprofAddr := fs.String("pprof", "", "debug: serve net/http/pprof on this address (e.g. 127.0.0.1:6060), a listener of its own")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	cfg, log, d, srv, err := newServer(ctx)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	ln, err := srv.Listen()
	if err != nil {
		return fmt.Errorf("listen on %s (set KASSA_ADDR to change it): %w", cfg.Addr, err)
	}
	log.Info("kassa listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "env", cfg.Env)
	if *pprofAddr != "" {
		if err := servePprof(ctx, *pprofAddr, log); err != nil {
			return err
		}
	}
	if *demo {
		creds, err := ensureDemo(ctx, cfg, srv)
		if err != nil {
			return fmt.Errorf("demo merchant: %w", err)
		}
		printDemo(cfg, creds)
	}
	return srv.Serve(ctx, ln)
}

// demoCredentials are kept in the data directory (mode 0600) so that each
// `make run` can print them again: the API key itself is stored only as a
// hash in the database.
type demoCredentials struct {
	MerchantID    string `json:"merchantId"`
	APIKey        string `json:"apiKey"`
	OwnerEmail    string `json:"ownerEmail"`
	OwnerPassword string `json:"ownerPassword"`
	PaymentLink   string `json:"paymentLink"`
}

const demoName, demoEmail = "Demo Shop AB", "owner@demo.kassa.test"

func ensureDemo(ctx context.Context, cfg server.Config, srv *server.Server) (demoCredentials, error) {
	path := filepath.Join(cfg.DataDir, "demo-credentials.json")
	var creds demoCredentials
	m, err := srv.Merchants().FindByName(ctx, demoName)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		creds.OwnerEmail, creds.OwnerPassword = demoEmail, randomPassword()
		c, err := srv.Merchants().Create(ctx, merchants.NewMerchant{Name: demoName, OwnerEmail: demoEmail, OwnerName: "Demo Owner", OwnerPassword: creds.OwnerPassword})
		if err != nil {
			return creds, err
		}
		creds.MerchantID, creds.APIKey = c.Merchant.ID.String(), c.Secret
	case err != nil:
		return creds, err
	default:
		//nolint:gosec // G304: path is the demo credentials file in the operator's data directory
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &creds) == nil && creds.MerchantID == m.ID.String() {
			if creds.PaymentLink != "" {
				return creds, nil
			}
			break
		}
		// The demo merchant exists but its secrets were lost: issue new ones.
		creds = demoCredentials{MerchantID: m.ID.String(), OwnerEmail: demoEmail, OwnerPassword: randomPassword()}
		if err := srv.Auth().ResetPassword(ctx, demoEmail, creds.OwnerPassword); err != nil {
			return creds, err
		}
		_, secret, err := srv.Auth().CreateAPIKey(ctx, m.ID, "Demo key", nil)
		if err != nil {
			return creds, err
		}
		creds.APIKey = secret
	}
	if creds.PaymentLink == "" {
		// A reusable link the newcomer can open and pay, as often as they like.
		id, _ := uuid.Parse(creds.MerchantID)
		l, err := srv.Orders().CreateLink(ctx, payments.Actor{}, gid.Of[gid.MerchantID](id), "", orders.NewLink{
			Amount: 12500, Currency: "SEK", Description: "Demo: kaffe och bulle", Reusable: true})
		if err != nil {
			return creds, err
		}
		creds.PaymentLink = srv.Orders().URL(l)
	}
	//nolint:gosec // G117: the demo credentials are written for the person running the demo (mode 0600)
	b, _ := json.MarshalIndent(creds, "", "  ")
	//nolint:gosec // G301: the data directory holds PostgreSQL's, which its own user must reach
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return creds, err
	}
	return creds, os.WriteFile(path, b, 0o600)
}

func randomPassword() string {
	_, tok, _ := auth.NewRandomToken()
	return "demo-" + tok[:16]
}

func printDemo(cfg server.Config, c demoCredentials) {
	fmt.Printf(`
  kassa is running with a demo merchant (%s).

    Dashboard %s/            (log in with the login below: orders, payments, subscriptions, team)
    Login     %s / %s
    GraphQL   %s/graphql
    GraphiQL  %s/graphiql   (log in first at %s/login, or send the API key)
    API key   %s
    Pay       %s
              (a demo payment link: pay with card 4242 4242 4242 4242, any future expiry, any CVC;
               4000 0000 0000 3220 asks for 3-D Secure: the code is 1234)

  Try it:
    curl -s %s/graphql -H 'Authorization: Bearer %s' \
      -H 'Content-Type: application/json' -d '{"query":"{ viewer { merchant { id name } } }"}'

`, demoName, cfg.PublicURL, c.OwnerEmail, c.OwnerPassword, cfg.PublicURL, cfg.PublicURL, cfg.PublicURL, c.APIKey, c.PaymentLink, cfg.PublicURL, c.APIKey)
}
