package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// sendOrder creates an order with lines, sends its confirmation and
// returns the payment link's URL.
func sendOrder(t *testing.T, e *kassatest.Env, locale string, lines []map[string]any) string {
	t.Helper()
	var created struct {
		CreateOrder struct {
			Order struct {
				ID string `json:"id"`
			} `json:"order"`
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"createOrder"`
	}
	e.Query(t, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { field message code } } }`,
		map[string]any{"input": map[string]any{"customer": map[string]any{"name": "Anna Andersson", "email": "anna@example.com", "locale": locale},
			"lines": lines}}, &created)
	require.Empty(t, created.CreateOrder.UserErrors)
	var sent struct {
		Send struct {
			PaymentLink struct {
				URL string `json:"url"`
			} `json:"paymentLink"`
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"sendOrderConfirmation"`
	}
	e.Query(t, `mutation($input: SendOrderConfirmationInput!) { sendOrderConfirmation(input: $input) { paymentLink { url } userErrors { field message code } } }`,
		map[string]any{"input": map[string]any{"orderId": created.CreateOrder.Order.ID}}, &sent)
	require.Empty(t, sent.Send.UserErrors)
	return sent.Send.PaymentLink.URL
}

// overflowJS lists, in the page shown, everything on the payment card
// that does not fit it: the card or the line table scrolling sideways, an
// element reaching past the card's edges, an amount wrapped onto a second
// line or cut off, the total not wholly on screen.
const overflowJS = `(() => {
	const bad = [];
	const card = document.querySelector("main.card"), table = document.querySelector("main.card table.lines"), total = document.getElementById("total");
	if (!card || !table || !total) return ["no card, line table or total on the page"];
	const cr = card.getBoundingClientRect();
	if (document.documentElement.scrollWidth > window.innerWidth) bad.push("page " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
	for (const [name, el] of [["card", card], ["table", table]]) {
		if (el.scrollWidth > el.clientWidth) bad.push(name + " scrollWidth " + el.scrollWidth + " > clientWidth " + el.clientWidth);
	}
	const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "");
	for (const el of card.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (r.left < cr.left - 0.5 || r.right > cr.right + 0.5) bad.push(name(el) + " spans " + r.left.toFixed(1) + "–" + r.right.toFixed(1) + " outside the card's " + cr.left.toFixed(1) + "–" + cr.right.toFixed(1));
		if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") bad.push(name(el) + " clips its content (" + el.scrollWidth + " > " + el.clientWidth + ")");
	}
	for (const el of table.querySelectorAll(".num, .nb")) {
		const range = document.createRange();
		range.selectNodeContents(el);
		const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
		if (tops.size > 1) bad.push("amount " + JSON.stringify(el.textContent) + " wraps onto " + tops.size + " lines");
		const r = range.getBoundingClientRect(), cell = el.getBoundingClientRect();
		if (r.left < cell.left - 0.5 || r.right > cell.right + 0.5) bad.push("amount " + JSON.stringify(el.textContent) + " is wider than its cell");
	}
	total.scrollIntoView({block: "center"});
	const cr2 = card.getBoundingClientRect();
	const range = document.createRange();
	range.selectNodeContents(total);
	const tr = range.getBoundingClientRect();
	if (tr.left < cr2.left || tr.right > cr2.right || tr.right > document.documentElement.clientWidth) bad.push("the total's text " + tr.left.toFixed(1) + "–" + tr.right.toFixed(1) + " is not wholly inside the card " + cr2.left.toFixed(1) + "–" + cr2.right.toFixed(1));
	const hit = document.elementFromPoint(tr.right - 2, tr.top + tr.height / 2);
	if (hit !== total && !total.contains(hit)) bad.push("the end of the total is covered or off screen (found " + (hit ? name(hit) : "nothing") + ")");
	return bad;
})()`

// TestPayPageFitsCard: the payment page's lines and total fit its card on
// a desktop and on a phone, whatever the descriptions (a 120-character
// word, 120 characters of text), however many lines, with six-digit
// amounts: nothing sticks out or scrolls sideways, no amount is wrapped
// or cut, and the whole total is visible. Screenshots go to
// test-artifacts/.
func TestPayPageFitsCard(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	word := strings.Repeat("X", 120)
	text := "Handgjord ekbänk med integrerad förvaring och mjukstängande lådor, oljad i tre lager, leverans och montering ingår i pri"
	require.Len(t, []rune(text), 120)
	lines := []map[string]any{
		{"description": word, "quantity": 1, "unitPrice": 9876543, "vatRate": 2500},
		{"description": text, "quantity": 3, "unitPrice": 1234567, "vatRate": 2500},
	}
	for i := range 10 {
		lines = append(lines, map[string]any{"description": fmt.Sprintf("Tillbehör %d", i+1), "quantity": 12, "unitPrice": 29900, "vatRate": []int{2500, 1200, 600, 0}[i%4]})
	}
	links := map[string]string{"sv": sendOrder(t, e, "sv", lines), "en": sendOrder(t, e, "en", lines)}

	browser := kassatest.Chromium(t, "")
	for _, size := range []struct {
		name          string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"Desktop", 1280, 900, nil},
		{"Phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)}},
	} {
		for _, lang := range []string{"sv", "en"} {
			t.Run(size.name+"/"+lang, func(t *testing.T) {
				ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
				defer cancel()
				tctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
				defer cancelT()
				require.NoError(t, chromedp.Do(tctx, chromedp.EmulateViewport(size.width, size.height, size.opts...),
					chromedp.Navigate(links[lang]), chromedp.WaitVisible(chromedp.ID("total"))))
				tab := &staffTab{ctx: tctx, e: e}
				tab.screenshot(t, fmt.Sprintf("pay-%s-%s.png", strings.ToLower(size.name), lang))
				total := tab.text(t, "#total")
				require.Regexp(t, `\d{3}\D\d{3}[.,]\d{2}`, total, "a six-digit total")
				bad, ok := tab.eval(t, overflowJS).([]any)
				require.True(t, ok, "the check ran")
				require.Empty(t, bad, "on a %d px wide %s, the total %q", size.width, strings.ToLower(size.name), total)
			})
		}
	}
}
