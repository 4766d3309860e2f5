package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Test cards of the simulator.
const (
	cardOK        = "4242 4242 4242 4242"
	card3DS       = "4000 0000 0000 3220"
	cardDeclined  = "4000000000000002"
	cardDuplicate = "4000000000000259" // callbacks twice and out of order
)

// expiry is a card expiry date a few years ahead, as MM/YY.
func expiry() string { return fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100) }

// customer is a person paying on the hosted page over plain HTTP: a
// cookie jar, redirects seen rather than followed.
type customer struct {
	c *http.Client
}

func newCustomer(t *testing.T) *customer {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &customer{c: &http.Client{
		Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an HTTP answer.
type page struct {
	status   int
	location string
	body     string
}

func (c *customer) do(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := c.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func (c *customer) get(t *testing.T, u string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	return c.do(t, req)
}

func (c *customer) post(t *testing.T, u string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(t, req)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// payForm is the card form of a rendered payment page.
type payForm struct {
	link   string
	hidden url.Values
}

// formOf reads the hidden fields of the payment form in body.
func formOf(t *testing.T, link, body string) payForm {
	t.Helper()
	f := payForm{link: link, hidden: url.Values{}}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		f.hidden.Set(m[1], m[2])
	}
	for _, name := range []string{"csrf_token", "attempt", "checkout"} {
		require.NotEmpty(t, f.hidden.Get(name), "the payment page has no %s field:\n%s", name, body)
	}
	return f
}

// open loads the payment page, which must show the card form.
func (c *customer) open(t *testing.T, link string) (payForm, page) {
	t.Helper()
	p := c.get(t, link)
	require.Equal(t, http.StatusOK, p.status, "GET %s:\n%s", link, p.body)
	require.Contains(t, p.body, `name="cardNumber"`)
	return formOf(t, link, p.body), p
}

// values are the fields a customer submits with card.
func (f payForm) values(card string) url.Values {
	v := url.Values{}
	for k, vs := range f.hidden {
		v[k] = append([]string(nil), vs...)
	}
	v.Set("accept", "yes")
	v.Set("cardNumber", card)
	v.Set("expiry", expiry())
	v.Set("cvc", "123")
	v.Set("cardholder", "Anna Andersson")
	return v
}

// submit posts the form with card.
func (c *customer) submit(t *testing.T, f payForm, card string) page {
	t.Helper()
	return c.post(t, f.link, f.values(card))
}

// statusURLOf checks that p redirects to the link's status page and
// returns that page's URL.
func statusURLOf(t *testing.T, link string, p page) string {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, p.status, "expected a redirect to the status page:\n%s", p.body)
	require.True(t, strings.HasPrefix(p.location, link+"/status?payment="), "redirect to %q, not to the status page of %s", p.location, link)
	return p.location
}

// waitStatus follows the status page, which refreshes itself (202) while
// the payment is processing, until it shows an outcome.
func (c *customer) waitStatus(t *testing.T, statusURL string) page {
	t.Helper()
	var p page
	eventually(t, 30*time.Second, "the status page to show the outcome", func() bool {
		p = c.get(t, statusURL)
		if p.status == http.StatusAccepted {
			require.Contains(t, p.body, `id="processing"`)
			return false
		}
		return true
	})
	return p
}

// waitDone follows the status page until it shows the payment done.
func (c *customer) waitDone(t *testing.T, statusURL string) page {
	t.Helper()
	p := c.waitStatus(t, statusURL)
	require.Equal(t, http.StatusOK, p.status, "status page:\n%s", p.body)
	require.Contains(t, p.body, `id="done"`)
	return p
}

// pay opens the link, pays with card (one that needs no 3-D Secure) and
// waits until the status page says it is done.
func (c *customer) pay(t *testing.T, link, card string) page {
	t.Helper()
	f, _ := c.open(t, link)
	return c.waitDone(t, statusURLOf(t, link, c.submit(t, f, card)))
}

// payLinkRe finds a payment link in an email.
var payLinkRe = regexp.MustCompile(`https?://[^\s"<>]+/pay/[A-Za-z0-9_-]+`)
