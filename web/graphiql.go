package web

import (
	"net/http"
	"strings"
	"time"
)

// GraphiQL (/graphiql) is served from the binary: React, ReactDOM,
// GraphiQL and graphql-ws are vendored in static/vendor, and our own
// static/graphiql-init.js mounts it, so the page works offline and under
// the same same-origin CSP as every other page. It calls /graphql as the
// logged-in person (the session cookie) and opens with kassa's examples.

// GraphiQLExample is one tab GraphiQL opens with: a document (one or more
// operations, the first run first) and its variables as JSON. In
// Variables, __NOW__ is replaced by the current time (RFC 3339) and
// __KEY__ by a fresh idempotency key when the page is served, so a usage
// report can be sent as it stands.
type GraphiQLExample struct {
	Name      string `json:"name"`
	Query     string `json:"query"`
	Variables string `json:"variables"`
}

// GraphiQLExamples are the tabs GraphiQL opens with; a test validates each
// against the schema so they cannot rot.
var GraphiQLExamples = []GraphiQLExample{
	{
		Name: "Salesperson: order and confirmation",
		Query: `# The salesperson's flow: create an order with two lines (25 % and 12 % VAT),
# then send the customer the order confirmation with a payment link.
#
# 1. Press ▶ and choose CreateOrder.
# 2. Copy order.id from the result into the variables below ("orderId").
# 3. Press ▶ and choose SendOrderConfirmation: the customer gets an email
#    with the order and a link to pay it.
mutation CreateOrder {
  createOrder(input: {
    customer: {name: "Karin Kund", email: "karin@example.com", locale: sv}
    currency: "SEK"
    reference: "Offert 117"
    lines: [
      {description: "Ekbord, 180 cm", quantity: 1, unitPrice: 1249000, vatRate: 2500}
      {description: "Hotellnatt under montering", quantity: 2, unitPrice: 112000, vatRate: 1200}
    ]
  }) {
    order {
      id
      number
      status
      totals {
        net { formatted }
        vat { formatted }
        gross { formatted }
        byRate { rate vat { formatted } }
      }
    }
    userErrors { field message code }
  }
}

mutation SendOrderConfirmation($orderId: ID!) {
  sendOrderConfirmation(input: {
    orderId: $orderId
    message: "Tack för samtalet! Här är ordern vi kom överens om."
  }) {
    confirmation { id version }
    paymentLink { url expiresAt }
    userErrors { field message code }
  }
}
`,
		Variables: `{
  "orderId": "paste order.id from CreateOrder here"
}`,
	},
	{
		Name: "Refund a payment",
		Query: `# A refund: find a paid (captured) payment, then refund part of it with a
# reason. Refunding needs the OWNER or ADMIN role (or an API key).
#
# 1. Press ▶ and choose PaidPayments.
# 2. Copy a payment's id into the variables below ("paymentId").
# 3. Press ▶ and choose RefundPayment. The amount is in minor units
#    (10000 is 100,00 kr); leave it out to refund all that is refundable.
query PaidPayments {
  payments(first: 10, filter: {status: [CAPTURED, PARTIALLY_REFUNDED]}) {
    edges {
      node {
        id
        status
        description
        amount { formatted }
        refundable { amount formatted }
        createdAt
      }
    }
  }
}

mutation RefundPayment($paymentId: ID!, $amount: Int64, $reason: String) {
  refundPayment(input: {paymentId: $paymentId, amount: $amount, reason: $reason}) {
    payment {
      id
      status
      refunded { formatted }
      refundable { formatted }
    }
    userErrors { field message code }
  }
}
`,
		Variables: `{
  "paymentId": "paste a payment's id from PaidPayments here",
  "amount": 10000,
  "reason": "Skadad vid leverans"
}`,
	},
	{
		Name: "Report usage",
		Query: `# A usage report for a metered (USAGE) subscription, as an integrator's
# system sends it, usually with an API key.
#
# 1. Press ▶ and choose UsageSubscriptions.
# 2. Copy a USAGE subscription's id into the variables below.
# 3. Press ▶ and choose ReportUsage. The same idempotencyKey sent again is
#    recorded once (duplicate: true); reload the page for a fresh key.
query UsageSubscriptions {
  subscriptions(first: 10, status: [ACTIVE, PAST_DUE]) {
    edges {
      node {
        id
        status
        customer { name }
        plan { kind description unitPrice { formatted } }
        currentPeriod { start end }
      }
    }
  }
}

mutation ReportUsage($subscriptionId: ID!, $quantity: Int64!, $occurredAt: Time!, $idempotencyKey: String!) {
  reportUsage(input: {
    subscriptionId: $subscriptionId
    quantity: $quantity
    occurredAt: $occurredAt
    idempotencyKey: $idempotencyKey
  }) {
    usageEvent { id quantity occurredAt }
    duplicate
    userErrors { field message code }
  }
}

query UsageSoFar($subscriptionId: ID!) {
  usageSummary(subscriptionId: $subscriptionId) {
    period { start end }
    quantity
    events
    amount { formatted }
  }
}
`,
		Variables: `{
  "subscriptionId": "paste a subscription's id from UsageSubscriptions here",
  "quantity": 42,
  "occurredAt": "__NOW__",
  "idempotencyKey": "__KEY__"
}`,
	},
}

// graphiqlExamples are the examples with their placeholders filled in.
func graphiqlExamples(now time.Time) []GraphiQLExample {
	r := strings.NewReplacer("__NOW__", now.UTC().Format(time.RFC3339), "__KEY__", "graphiql-"+now.UTC().Format("20060102T150405.000"))
	out := make([]GraphiQLExample, len(GraphiQLExamples))
	for i, e := range GraphiQLExamples {
		e.Variables = r.Replace(e.Variables)
		out[i] = e
	}
	return out
}

// GraphiQL serves the GraphiQL page. A visitor who is not logged in sees
// a link to the login page (GraphQL would answer 401); an API key can
// still be sent in GraphiQL's headers tab.
func (p *Pages) GraphiQL(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(r, "")
	data := map[string]any{"Lang": lang, "T": trSection(lang, "graphiql."), "Examples": graphiqlExamples(time.Now()),
		"Other": otherLang(lang)}
	if pr := p.Principal(r); pr != nil {
		data["Email"] = pr.UserEmail
	}
	p.render(w, r, http.StatusOK, "graphiql.html", data)
}

// GraphiQLCSP is the Content-Security-Policy of /graphiql: every script
// is same-origin, as on every other page, and nothing leaves the origin.
// Two exceptions, found in Chromium, for GraphiQL's own bundle:
//   - font-src data: its stylesheet embeds its fonts as data: URLs;
//   - style-src 'unsafe-inline': its menus (the operation picker of the
//     run button, the settings dialog) lock scrolling with a <style>
//     element they insert (react-remove-scroll), which takes no nonce in
//     the prebuilt bundle. Inline styles cannot run script.
var GraphiQLCSP = strings.NewReplacer(
	"img-src 'self' data:;", "img-src 'self' data:; font-src 'self' data:;",
	"style-src 'self';", "style-src 'self' 'unsafe-inline';",
).Replace(CSP)
