package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestGraphiQLInBrowser: GraphiQL loads from the binary alone (every
// request stays on kassa's origin, so it works offline and under the
// same-origin CSP), opens with the salesperson's example, and runs it as
// the logged-in person: an order is created.
func TestGraphiQLInBrowser(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "")
	tab := openTab(t, browser, e, e.AddStaff(t, "Gustav GraphQL", "gustav@snickeri.test", auth.RoleAdmin))
	origin, err := url.Parse(e.URL)
	require.NoError(t, err)

	var mu sync.Mutex
	var foreign, problems []string
	require.NoError(t, chromedp.Listen(tab.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err != nil || (u.Host != origin.Host && u.Scheme != "data") { // data: (the stylesheet's fonts) never leaves the page
				foreign = append(foreign, ev.Request.URL[:min(len(ev.Request.URL), 200)])
			}
		case *network.EventWebSocketCreated:
			u, err := url.Parse(ev.URL)
			if err != nil || u.Host != origin.Host {
				foreign = append(foreign, ev.URL)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && !strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
				problems = append(problems, ev.Entry.Text[:min(len(ev.Entry.Text), 300)])
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, ev.ExceptionDetails.Text+" "+string(ev.ExceptionDetails.URL))
		}
	}))

	t.Run("LoggedOutOffersTheLogin", func(t *testing.T) {
		tab.do(t, "open GraphiQL logged out",
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
				return err
			}),
			chromedp.Navigate(e.URL+"/graphiql"),
			chromedp.WaitVisible(chromedp.CSS("#login")),
		)
		require.Contains(t, tab.text(t, "#loggedout"), "not logged in")
		tab.do(t, "log in from GraphiQL",
			chromedp.Click(chromedp.CSS("#login")),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), tab.staff.Email),
			chromedp.SendKeys(chromedp.CSS("#password"), tab.staff.Password),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS("#who")),
		)
		loc, err := chromedp.Run(tab.ctx, chromedp.Location())
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(loc, "/graphiql"), "back on GraphiQL after logging in: %s", loc)
		// Logged out, GraphQL answered 401 (the browser logs each); nothing else.
		mu.Lock()
		defer mu.Unlock()
		var rest []string
		for _, p := range problems {
			if !strings.Contains(p, "status of 401") {
				rest = append(rest, p)
			}
		}
		problems = rest
	})

	t.Run("RunsTheSalespersonsExample", func(t *testing.T) {
		tab.do(t, "GraphiQL loads",
			chromedp.Navigate(e.URL+"/graphiql"),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-container .graphiql-query-editor .CodeMirror")),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		)
		editor := tab.eval(t, `document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue()`)
		require.Contains(t, editor, "mutation CreateOrder", "the first tab is the salesperson's flow")
		variables := tab.eval(t, `document.querySelector(".graphiql-editor-tool .CodeMirror").CodeMirror.getValue()`)
		require.Contains(t, variables, `"orderId"`, "with its variables")
		tabs := tab.eval(t, `Array.from(document.querySelectorAll(".graphiql-tab")).map(t => t.textContent.replace("close icon", "")).join("|")`)
		require.Equal(t, "CreateOrder|PaidPayments|UsageSubscriptions", tabs, "a tab for each example, nothing else")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM orders`))
		tab.do(t, "run the first operation, CreateOrder",
			chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-dropdown-item")),
		)
		require.Equal(t, "CreateOrder", tab.text(t, ".graphiql-dropdown-item"), "GraphiQL asks which operation to run")
		tab.do(t, "choose CreateOrder",
			chromedp.Click(chromedp.CSS(".graphiql-dropdown-item")),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-response .CodeMirror")),
		)
		tab.screenshot(t, "graphiql-run.png")
		kassatest.Eventually(t, 15*time.Second, "the order's number in GraphiQL's response", func() bool {
			v := tab.eval(t, `document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue()`)
			s, _ := v.(string)
			return strings.Contains(s, `"number"`)
		})
		resp := tab.eval(t, `document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue()`).(string)
		require.Contains(t, resp, `"userErrors": []`, resp)
		require.NotContains(t, resp, `"errors"`, resp)
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM orders`), "GraphiQL created the order as the logged-in person")
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM orders o JOIN users u ON u.id = o.created_by_user WHERE u.email = $1`, tab.staff.Email))
		tab.screenshot(t, "graphiql.png")
	})

	t.Run("StreamsASubscription", func(t *testing.T) {
		tab.do(t, "write a subscription and run it",
			chromedp.Evaluate[chromedp.Void](`document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue("subscription Watch { orderUpdated { number status } }")`),
			chromedp.Sleep(700*time.Millisecond), // GraphiQL takes the editor's text after a pause in typing
			chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		)
		response := func() string {
			v := tab.eval(t, `(document.querySelector(".graphiql-response .CodeMirror") || {CodeMirror: {getValue: () => ""}}).CodeMirror.getValue()`)
			s, _ := v.(string)
			return s
		}
		order := func(name string) int {
			var out struct {
				CreateOrder struct {
					Order struct{ Number int } `json:"order"`
				} `json:"createOrder"`
			}
			e.Query(t, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { number } } }`, map[string]any{"in": map[string]any{
				"customer": map[string]any{"name": name}, "lines": []any{map[string]any{"description": "Stol", "quantity": 1, "unitPrice": 50000, "vatRate": 2500}}}}, &out)
			return out.CreateOrder.Order.Number
		}
		// The socket and its subscription start after the click: until
		// the first event shows, a change may come before the server
		// listens, so make changes until one arrives. Then each further
		// change arrives on the same running subscription (a POST would
		// have answered once).
		seen := func(n int) bool { return strings.Contains(response(), fmt.Sprintf(`"number": %d`, n)) }
		first := false
		for i := 0; i < 10 && !first; i++ {
			n := order(fmt.Sprintf("Kund %d", i))
			deadline := time.Now().Add(3 * time.Second)
			for !first && time.Now().Before(deadline) {
				first = seen(n)
				time.Sleep(100 * time.Millisecond)
			}
		}
		require.True(t, first, "an order's event reached GraphiQL: %s", response())
		for _, name := range []string{"Andra", "Tredje"} {
			n := order(name)
			kassatest.Eventually(t, 15*time.Second, fmt.Sprintf("order %d's event in GraphiQL", n), func() bool { return seen(n) })
		}
		tab.screenshot(t, "graphiql-subscription.png")
	})

	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, foreign, "every request stays on kassa's origin")
	require.Empty(t, problems, "no console errors (CSP violations included)")
}
