package main

// The end-to-end test: kassa and this shop run side by side (kassa
// in-process on its own database, with webhooks to private addresses
// allowed, since the shop listens on 127.0.0.1), and a shopper in headless
// Chromium buys from the shop and pays on kassa's page.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"kassa/db/dbtest"
	"kassa/kassatest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const chromiumPath = "/usr/bin/chromium"

// startKassa runs a whole kassa for the test and returns its URL and an
// API key of a new merchant.
func startKassa(t *testing.T) (string, string) {
	t.Helper()
	e := kassatest.Start(t, kassatest.LogLevel("warn"), kassatest.WebhookAllowPrivate(),
		kassatest.WebhookSchedule(200*time.Millisecond, 500*time.Millisecond, time.Second),
		kassatest.Merchant(kassatest.MerchantNamed("Snickeriet AB")))
	return e.URL, e.APIKey
}

// startShop runs the example shop against kassa, registered for webhooks
// as its main does.
func startShop(t *testing.T, kassaURL, apiKey string) (*Shop, string) {
	t.Helper()
	ln, base := kassatest.Listen(t)
	shop, err := NewShop(Config{PublicURL: base, KassaURL: kassaURL, APIKey: apiKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := shop.RegisterWebhook(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: shop.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return shop, base
}

// browser starts headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("this test needs Chromium at %s (Debian: apt-get install chromium): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// shopper drives the browser.
type shopper struct {
	t   *testing.T
	ctx context.Context
}

func (s shopper) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
}

// click clicks the element with id and waits for the page it leads to.
func (s shopper) click(id string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID(id)))); err != nil {
		s.t.Fatalf("click #%s: %v", id, err)
	}
}

// waitFor polls until cond holds for the browser's current page.
func (s shopper) waitFor(what string, timeout time.Duration, cond func(ctx context.Context) bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(s.ctx, chromedp.Location())
			s.t.Fatalf("timed out after %s waiting for %s (the browser is at %s)", timeout, what, loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s shopper) location() string {
	loc, _ := chromedp.Run(s.ctx, chromedp.Location())
	return loc
}

// statusIs is whether the page's #status element says status.
func statusIs(id, status string) func(ctx context.Context) bool {
	return func(ctx context.Context) bool {
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID(id), "data-status", chromedp.AtLeast(0)))
		return err == nil && v.Value == status
	}
}

// pay fills kassa's card form and pays.
func (s shopper) pay(email string) {
	s.t.Helper()
	s.run("fill the card form",
		chromedp.WaitVisible(chromedp.ID("cardNumber")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("cardNumber"), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.ID("expiry"), fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100)),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.SendKeys(chromedp.ID("cardholder"), "Anna Andersson"),
	)
	s.click("pay")
}

func TestShopperBuysAndTheWebhookMarksTheOrderPaid(t *testing.T) {
	kassaURL, key := startKassa(t)
	shop, shopURL := startShop(t, kassaURL, key)
	b := shopper{t: t, ctx: browser(t)}

	// Two items into the cart, then to kassa's payment page.
	b.run("open the shop", chromedp.Navigate(shopURL+"/"))
	b.click("add-board")
	b.click("add-knife")
	b.run("open the cart", chromedp.Navigate(shopURL+"/cart"), chromedp.WaitVisible(chromedp.ID("checkout")))
	b.click("checkout")
	if loc := b.location(); !strings.HasPrefix(loc, kassaURL+"/pay/") {
		t.Fatalf("checkout led to %s, not to kassa's payment page", loc)
	}
	body, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Skärbräda i ek", "Smörkniv i björk", "474,00"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the payment page does not show %q:\n%s", want, body)
		}
	}

	// Pay; kassa sends the shopper back to the shop.
	b.pay("anna@example.se")
	b.waitFor("the shopper to be back at the shop", 20*time.Second, func(context.Context) bool {
		return strings.HasPrefix(b.location(), shopURL+"/orders/1001")
	})
	b.waitFor("the order page to say paid", 20*time.Second, statusIs("status", string(Paid)))
	o, _ := shop.Order("1001")
	if o.Status != Paid {
		t.Fatalf("order 1001 is %s, want PAID", o.Status)
	}
	if !strings.Contains(strings.Join(o.Events, "\n"), "paid 474,00 kr (webhook evt_") {
		t.Fatalf("order 1001 was not marked paid by a webhook: %q", o.Events)
	}
	if st, err := shop.kassa.CheckoutStatus(context.Background(), o.CheckoutID); err != nil || st != "COMPLETE" {
		t.Fatalf("kassa says checkout %s is %q (%v), want COMPLETE", o.CheckoutID, st, err)
	}
	// The cart was emptied on the way back.
	b.run("open the shop", chromedp.Navigate(shopURL+"/"))
	if _, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID("cart-count"), chromedp.AtLeast(0))); err == nil {
		t.Fatal("the cart still has items after paying")
	}

	// A purchase paid at delivery: reserved now, captured when shipped.
	b.click("add-bowl")
	b.run("open the cart", chromedp.Navigate(shopURL+"/cart"), chromedp.WaitVisible(chromedp.ID("checkout")), chromedp.Click(chromedp.ID("reserve")))
	b.click("checkout")
	b.pay("bo@example.se")
	b.waitFor("the shopper to be back at the shop", 20*time.Second, func(context.Context) bool {
		return strings.HasPrefix(b.location(), shopURL+"/orders/1002")
	})
	b.waitFor("the order page to say reserved", 20*time.Second, statusIs("status", string(Reserved)))

	b.run("open the admin page", chromedp.Navigate(shopURL+"/admin"), chromedp.WaitVisible(chromedp.ID("deliver-1002")))
	b.click("deliver-1002")
	b.waitFor("the admin page to show order 1002 paid", 20*time.Second, statusIs("status-1002", string(Paid)))
	o, _ = shop.Order("1002")
	if o.Status != Paid || !o.Reserve {
		t.Fatalf("order 1002: %+v", o)
	}
	events := strings.Join(o.Events, "\n")
	for _, want := range []string{"reserved 599,00 kr on the card (webhook evt_", "delivered; capture asked of kassa", "paid 599,00 kr (webhook evt_"} {
		if !strings.Contains(events, want) {
			t.Fatalf("order 1002's history lacks %q:\n%s", want, events)
		}
	}
}
