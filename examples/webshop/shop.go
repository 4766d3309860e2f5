package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Product is something the shop sells. Prices are in öre, VAT included.
type Product struct {
	ID    string
	Name  string
	Price int64
	VAT   int // basis points
}

// Catalogue is the shop's range.
var Catalogue = []Product{
	{ID: "board", Name: "Skärbräda i ek", Price: 34900, VAT: 2500},
	{ID: "knife", Name: "Smörkniv i björk", Price: 12500, VAT: 2500},
	{ID: "bowl", Name: "Salladsskål", Price: 59900, VAT: 2500},
}

func product(id string) (Product, bool) {
	for _, p := range Catalogue {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Status of a shop order, as the shop's own order system sees it.
type Status string

const (
	AwaitingPayment Status = "AWAITING_PAYMENT" // sent to kassa's payment page
	Reserved        Status = "RESERVED"         // the card is reserved: ship, then capture
	Capturing       Status = "CAPTURING"        // shipped; capture asked of kassa
	Paid            Status = "PAID"
)

// CartLine is a product and how many.
type CartLine struct {
	Product  Product
	Quantity int
}

// Order is the shop's own order.
type Order struct {
	ID           string // the shop's order number, sent to kassa as reference
	Lines        []CartLine
	Total        int64
	Reserve      bool // paid at delivery: capture mode RESERVE
	Status       Status
	CheckoutID   string // kassa's checkout (chk_…)
	KassaOrderID string // kassa's order (ord_…)
	PaymentURL   string
	Events       []string // what happened, for the order page
	CreatedAt    time.Time
}

// Config configures the shop.
type Config struct {
	PublicURL string // where shoppers and kassa reach the shop
	KassaURL  string
	APIKey    string
	// WebhookSecret verifies kassa's webhooks; empty until RegisterWebhook.
	WebhookSecret string
	// AdminPassword, when set, protects /admin with HTTP basic auth (user
	// "admin").
	AdminPassword string
	Log           *slog.Logger
}

// Shop is the example shop: catalogue, carts and orders in memory.
type Shop struct {
	cfg   Config
	kassa *Kassa
	log   *slog.Logger
	tmpl  *template.Template

	mu     sync.Mutex
	secret string
	carts  map[string][]CartLine
	orders map[string]*Order
	seen   map[string]bool // webhook-ids handled, so a redelivery changes nothing
	next   int
}

//go:embed templates/*.html
var templateFS embed.FS

// NewShop returns the shop.
func NewShop(cfg Config) (*Shop, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"kr": kr}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Shop{cfg: cfg, kassa: &Kassa{URL: cfg.KassaURL, APIKey: cfg.APIKey}, log: cfg.Log, tmpl: tmpl, secret: cfg.WebhookSecret,
		carts: map[string][]CartLine{}, orders: map[string]*Order{}, seen: map[string]bool{}, next: 1001}, nil
}

// WebhookEvents are the events the shop subscribes to.
var WebhookEvents = []string{"ORDER_PAID", "ORDER_RESERVED", "PAYMENT_FAILED", "PAYMENT_REFUNDED"}

// RegisterWebhook registers the shop's webhook endpoint with kassa and
// keeps the signing secret.
func (s *Shop) RegisterWebhook(ctx context.Context) error {
	secret, err := s.kassa.RegisterWebhook(ctx, s.cfg.PublicURL+"/webhooks/kassa", WebhookEvents)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.secret = secret
	s.mu.Unlock()
	s.log.Info("registered the webhook endpoint with kassa", "url", s.cfg.PublicURL+"/webhooks/kassa")
	return nil
}

// Handler serves the shop.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /cart/add", s.addToCart)
	mux.HandleFunc("GET /cart", s.cart)
	mux.HandleFunc("POST /checkout", s.checkout)
	mux.HandleFunc("GET /orders/{id}/return", s.returned)
	mux.HandleFunc("GET /orders/{id}", s.order)
	mux.HandleFunc("GET /admin", s.admin(s.adminPage))
	mux.HandleFunc("POST /admin/orders/{id}/deliver", s.admin(s.deliver))
	mux.HandleFunc("POST /webhooks/kassa", s.webhook)
	return mux
}

// Order returns a copy of an order (for tests and the pages).
func (s *Shop) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	c := *o
	c.Lines = append([]CartLine(nil), o.Lines...)
	c.Events = append([]string(nil), o.Events...)
	return c, true
}

// kr formats öre as Swedish kronor: 34900 → "349,00 kr".
func kr(ore int64) string {
	sign := ""
	if ore < 0 {
		sign, ore = "-", -ore
	}
	return fmt.Sprintf("%s%d,%02d kr", sign, ore/100, ore%100)
}

const cartCookie = "shop_cart"

// cartIDLen is the length of a cart id: a crypto/rand.Text token. Carts
// live in memory, so an id of another form names no cart anyway.
const cartIDLen = 26

// cartID is the browser's cart, made on first use.
func (s *Shop) cartID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(cartCookie); err == nil && len(c.Value) == cartIDLen {
		return c.Value
	}
	id := rand.Text()
	//nolint:gosec // G124: Secure follows the shop's public URL scheme
	http.SetCookie(w, &http.Cookie{Name: cartCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")})
	return id
}

func total(lines []CartLine) int64 {
	var t int64
	for _, l := range lines {
		t += l.Product.Price * int64(l.Quantity)
	}
	return t
}

func (s *Shop) render(w http.ResponseWriter, status int, name string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render", "template", name, "error", err)
	}
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	id := s.cartID(w, r)
	s.mu.Lock()
	n := 0
	for _, l := range s.carts[id] {
		n += l.Quantity
	}
	s.mu.Unlock()
	s.render(w, http.StatusOK, "home.html", map[string]any{"Products": Catalogue, "CartCount": n})
}

func (s *Shop) addToCart(w http.ResponseWriter, r *http.Request) {
	p, ok := product(r.PostFormValue("product"))
	if !ok {
		http.Error(w, "no such product", http.StatusBadRequest)
		return
	}
	id := s.cartID(w, r)
	s.mu.Lock()
	lines := s.carts[id]
	found := false
	for i := range lines {
		if lines[i].Product.ID == p.ID {
			lines[i].Quantity++
			found = true
		}
	}
	if !found {
		lines = append(lines, CartLine{Product: p, Quantity: 1})
	}
	s.carts[id] = lines
	s.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Shop) cart(w http.ResponseWriter, r *http.Request) {
	id := s.cartID(w, r)
	s.mu.Lock()
	lines := append([]CartLine(nil), s.carts[id]...)
	s.mu.Unlock()
	s.render(w, http.StatusOK, "cart.html", map[string]any{"Lines": lines, "Total": total(lines), "Error": r.URL.Query().Get("error")})
}

// checkout turns the cart into a shop order, asks kassa for a checkout
// and sends the shopper to kassa's payment page.
func (s *Shop) checkout(w http.ResponseWriter, r *http.Request) {
	id := s.cartID(w, r)
	s.mu.Lock()
	lines := append([]CartLine(nil), s.carts[id]...)
	if len(lines) == 0 {
		s.mu.Unlock()
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	o := &Order{ID: strconv.Itoa(s.next), Lines: lines, Total: total(lines), Reserve: r.PostFormValue("reserve") != "",
		Status: AwaitingPayment, CreatedAt: time.Now()}
	s.next++
	s.orders[o.ID] = o
	s.mu.Unlock()

	req := CheckoutRequest{Currency: "SEK", CaptureMode: "IMMEDIATE", Reference: o.ID, Email: strings.TrimSpace(r.PostFormValue("email")),
		// kassa adds ?checkout_id=chk_… to the success URL.
		SuccessURL: s.cfg.PublicURL + "/orders/" + o.ID + "/return",
		CancelURL:  s.cfg.PublicURL + "/cart"}
	if o.Reserve {
		req.CaptureMode = "RESERVE"
	}
	for _, l := range lines {
		req.Lines = append(req.Lines, Line{Description: l.Product.Name, Quantity: l.Quantity, UnitPrice: l.Product.Price, VATRate: l.Product.VAT})
	}
	c, err := s.kassa.CreateCheckout(r.Context(), req)
	if err != nil {
		s.log.Error("create checkout", "order", o.ID, "error", err)
		msg := "Payment is not available right now; please try again."
		var ue UserErrors
		if errors.As(err, &ue) && len(ue) > 0 {
			msg = ue[0].Message
		}
		http.Redirect(w, r, "/cart?error="+template.URLQueryEscaper(msg), http.StatusSeeOther)
		return
	}
	s.mu.Lock()
	o.CheckoutID, o.KassaOrderID, o.PaymentURL = c.ID, c.Order.ID, c.URL
	o.Events = append(o.Events, "checkout "+c.ID+" created")
	s.mu.Unlock()
	http.Redirect(w, r, c.URL, http.StatusSeeOther)
}

// returned is where kassa sends the shopper after paying. It proves
// nothing (anyone can open this URL): the order is marked paid by the
// webhook. The cart is emptied and the order page shown.
func (s *Shop) returned(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("id"))
	if !ok || r.URL.Query().Get("checkout_id") != o.CheckoutID {
		http.NotFound(w, r)
		return
	}
	id := s.cartID(w, r)
	s.mu.Lock()
	delete(s.carts, id)
	s.mu.Unlock()
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, http.StatusOK, "order.html", map[string]any{"Order": o, "Waiting": o.Status == AwaitingPayment || o.Status == Capturing})
}

// admin guards the admin pages with basic auth when a password is set.
func (s *Shop) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminPassword != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != "admin" || subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.AdminPassword)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="webshop admin"`)
				http.Error(w, "log in", http.StatusUnauthorized)
				return
			}
		}
		next(w, r)
	}
}

func (s *Shop) adminPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var os []Order
	waiting := false
	for _, o := range s.orders {
		os = append(os, *o)
		waiting = waiting || o.Status == Capturing
	}
	s.mu.Unlock()
	sort.Slice(os, func(i, j int) bool { return os[i].ID > os[j].ID })
	s.render(w, http.StatusOK, "admin.html", map[string]any{"Orders": os, "Waiting": waiting, "Error": r.URL.Query().Get("error")})
}

// deliver ships a reserved order: kassa captures the reservation, and its
// ORDER_PAID webhook marks the order paid.
func (s *Shop) deliver(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Record the delivery before asking kassa: the ORDER_PAID webhook the
	// capture causes may arrive before kassa's answer does.
	s.mu.Lock()
	cur := s.orders[o.ID]
	if cur.Status != Reserved {
		s.mu.Unlock()
		http.Redirect(w, r, "/admin?error="+template.URLQueryEscaper("order "+o.ID+" is not reserved"), http.StatusSeeOther)
		return
	}
	cur.Status = Capturing
	cur.Events = append(cur.Events, "delivered; capture asked of kassa")
	s.mu.Unlock()
	// Not the admin's request context: a closed browser tab must not cut
	// the capture off halfway.
	if err := s.kassa.Deliver(context.WithoutCancel(r.Context()), o.KassaOrderID); err != nil {
		s.log.Error("deliver", "order", o.ID, "error", err)
		s.mu.Lock()
		if cur.Status == Capturing {
			cur.Status = Reserved
			cur.Events = append(cur.Events, "capture refused: "+err.Error())
		}
		s.mu.Unlock()
		http.Redirect(w, r, "/admin?error="+template.URLQueryEscaper(err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// event is a webhook's body.
type event struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Object         string `json:"object"`
		ID             string `json:"id"`
		Status         string `json:"status"`
		Reference      string `json:"reference"`
		OrderReference string `json:"orderReference"`
		CheckoutID     string `json:"checkoutId"`
		Currency       string `json:"currency"`
		Total          int64  `json:"total"`
		Paid           int64  `json:"paid"`
		Change         int64  `json:"change"`
		FailureCode    string `json:"failureCode"`
	} `json:"data"`
}

// webhook receives kassa's events: verified first (on the raw body),
// handled once per webhook-id, answered 2xx quickly (kassa retries
// anything else).
func (s *Shop) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	id := r.Header.Get("webhook-id")
	if err := verifyWebhook(secret, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, time.Now(), 5*time.Minute); err != nil {
		s.log.Warn("webhook refused", "error", err)
		http.Error(w, "invalid signature", http.StatusBadRequest)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[id] {
		w.WriteHeader(http.StatusNoContent) // a redelivery: handled already
		return
	}
	ref := ev.Data.Reference
	if ev.Data.Object == "payment" {
		ref = ev.Data.OrderReference
	}
	o := s.orders[ref]
	if o == nil || (ev.Data.CheckoutID != "" && ev.Data.CheckoutID != o.CheckoutID) {
		// Not ours (another system on the same kassa account): acknowledge
		// and ignore.
		s.seen[id] = true
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch ev.Type {
	case "order.paid":
		// Trust the amount only if it is the order's.
		if ev.Data.Currency != "SEK" || ev.Data.Paid <= 0 || ev.Data.Paid > o.Total {
			s.log.Error("paid amount does not match the order", "order", o.ID, "paid", ev.Data.Paid, "total", o.Total)
			break
		}
		o.Status = Paid
		o.Events = append(o.Events, fmt.Sprintf("paid %s (webhook %s)", kr(ev.Data.Paid), id))
	case "order.reserved":
		if o.Status == AwaitingPayment {
			o.Status = Reserved
		}
		o.Events = append(o.Events, fmt.Sprintf("reserved %s on the card (webhook %s)", kr(ev.Data.Total), id))
	case "payment.failed":
		o.Events = append(o.Events, "a card was declined ("+ev.Data.FailureCode+")")
	case "payment.refunded":
		o.Events = append(o.Events, "refunded "+kr(ev.Data.Change))
	}
	s.seen[id] = true
	w.WriteHeader(http.StatusNoContent)
}
