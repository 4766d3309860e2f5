package resolvers

import (
	"testing"

	"github.com/google/uuid"

	"kassa/checkout"
	"kassa/webhooks"
)

// TestWebhookIDsMatchGraphQLIDs guards the promise that a webhook's ids are
// the API's global IDs (the receiver queries node(id:) with them): the
// webhooks and checkout packages write them without importing this one.
func TestWebhookIDsMatchGraphQLIDs(t *testing.T) {
	t.Parallel()
	id := uuid.Must(uuid.NewV7())
	for _, tc := range []struct{ got, want string }{
		{webhooks.GlobalID("ord", id), globalID(prefixOrder, id)},
		{webhooks.GlobalID("pay", id), globalID(prefixPayment, id)},
		{checkout.PublicID(id), globalID(prefixCheckout, id)},
		{webhooks.MessageID(id), globalID(prefixWebhookEvent, id)},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	p, back, ok := parseGlobalID(checkout.PublicID(id))
	if !ok || p != prefixCheckout || back != id {
		t.Errorf("a checkout's public id does not parse back: %s %s %v", p, back, ok)
	}
}
