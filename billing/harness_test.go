package billing_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/kassatest"
	"kassa/server"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// kassa is a whole server for a test (see kassatest), with this
// package's helpers and short names for what they use.
type kassa struct {
	*kassatest.Env
	srv        *server.Server
	url        string
	ownerURL   string // the superuser's
	merchantID gid.MerchantID
}

func start(t *testing.T, extra ...kassatest.Option) *kassa {
	t.Helper()
	opts := []kassatest.Option{kassatest.LogLevel("info"),
		kassatest.SimulatorSecret("test-secret"), // also the runners' in TestExactlyOnceWithRunnersKilled
		kassatest.BillingSchedule("0 0 1 1 *"),   // the tests sweep by hand
		kassatest.RateLimit(10000, 10000),
		kassatest.Configure(func(c *server.Config) {
			c.MaxBody, c.Complexity, c.MaxDepth, c.MailFrom = 4<<20, 100000, 15, "kassa@example.com"
		}),
		kassatest.Merchant(kassatest.MerchantNamed("Gym AB"))}
	e := kassatest.Start(t, append(opts, extra...)...)
	return &kassa{Env: e, srv: e.Server, url: e.URL, ownerURL: e.DBURL, merchantID: e.Merchant.Merchant.ID}
}

// gql runs a GraphQL request with the merchant's key and decodes data.
func (k *kassa) gql(t *testing.T, query string, vars map[string]any, out any, header ...string) {
	t.Helper()
	k.Query(t, query, vars, out, header...)
}

var hidden = regexp.MustCompile(`name="(csrf_token|attempt|checkout|mandate_terms)" value="([^"]*)"`)

// pay pays a payment link over HTTP as a customer would, agreeing to the
// subscription's terms shown, and waits until the processor's callback
// settled it.
func (k *kassa) pay(t *testing.T, link, card string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(link)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	form := url.Values{"accept": {"yes"}, "mandate": {"yes"}, "cardNumber": {card}, "expiry": {fmt.Sprintf("12/%02d", (time.Now().Year()+2)%100)}, "cvc": {"123"}, "cardholder": {"Test"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = c.PostForm(link, form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	status := resp.Header.Get("Location")
	require.Eventually(t, func() bool {
		r, err := c.Get(status)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "payment not settled")
	// The page says settled at the first callback (authorized); wait for
	// the rest (captured) too, or a test that changes the subscription
	// next races the callback that stores the card again.
	k.callbacksDelivered(t)
}

// callbacksDelivered waits until the simulator delivered every callback:
// each is processed in the request that delivers it.
func (k *kassa) callbacksDelivered(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		return k.scalar(t, `SELECT count(*) FROM simulator_callbacks WHERE delivered_at IS NULL`) == 0
	}, 20*time.Second, 50*time.Millisecond, "callbacks not delivered")
}

// sweep runs the billing sweep as of now.
func (k *kassa) sweep(t *testing.T, now time.Time) {
	t.Helper()
	_, err := k.Server.Billing().Sweep(context.Background(), now)
	require.NoError(t, err)
}

func (k *kassa) scalar(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, k.SQL.QueryRow(query, args...).Scan(&n))
	return n
}

// mails counts the emails of a kind (order_confirmation, charge_failed,
// …) written to addr.
func (k *kassa) mails(t *testing.T, kind, addr string) int {
	t.Helper()
	dir := k.Server.MailDir()
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), kind+"-") {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err == nil && strings.Contains(string(b), addr) {
			n++
		}
	}
	return n
}
