// Command webshop is a small example shop that takes card payments
// through kassa. It is the reference for connecting any shop system (or
// writing a plugin for one): it talks to kassa only over HTTP, with
// kassa's GraphQL API and its signed webhooks, and uses nothing but Go's
// standard library. See README.md.
//
// The shop has a few products and a cart. At checkout it creates a kassa
// checkout for the cart and sends the shopper to kassa's payment page;
// kassa sends the shopper back afterwards, but the shop marks its order
// paid only when kassa's signed webhook says so. An order paid "at
// delivery" (capture mode RESERVE) is reserved on the card at checkout and
// captured from the shop's admin page when it ships.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("webshop", "error", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(log *slog.Logger) error {
	addr := env("SHOP_ADDR", "127.0.0.1:8090")
	cfg := Config{
		PublicURL:     strings.TrimRight(env("SHOP_PUBLIC_URL", "http://"+addr), "/"),
		KassaURL:      strings.TrimRight(env("KASSA_URL", "http://127.0.0.1:8080"), "/"),
		APIKey:        os.Getenv("KASSA_API_KEY"),
		WebhookSecret: os.Getenv("SHOP_WEBHOOK_SECRET"),
		AdminPassword: os.Getenv("SHOP_ADMIN_PASSWORD"),
		Log:           log,
	}
	if cfg.APIKey == "" {
		return errors.New("set KASSA_API_KEY to a kassa API key (kassa_test_…)")
	}
	shop, err := NewShop(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.WebhookSecret == "" {
		// No secret given: register this shop's endpoint with kassa now
		// (replacing an earlier registration of the same URL).
		if err := shop.RegisterWebhook(ctx); err != nil {
			return fmt.Errorf("register the webhook endpoint with kassa: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: shop.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("webshop listening", "url", cfg.PublicURL, "admin", cfg.PublicURL+"/admin", "kassa", cfg.KassaURL)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
