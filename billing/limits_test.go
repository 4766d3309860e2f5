package billing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// A SALES member's limit per payment holds for what they charge a stored
// card and for the plans they set, not only at the terminal; and every
// such charge names who made it.
func TestSalesLimitAppliesToSubscriptions(t *testing.T) {
	t.Parallel()
	k := start(t)
	id, _ := k.activeFixed(t, "limit@example.com", 9900)
	sales := k.AddStaff(t, "Sam Sales", "sam@gym.test", auth.RoleSales)
	var set struct {
		SetUserPaymentLimit struct{ UserErrors []kassatest.UserError }
	}
	k.gql(t, `mutation($u: ID!) { setUserPaymentLimit(input: {userId: $u, maxAmount: 5000, currency: "SEK"}) { userErrors { field message code } } }`,
		map[string]any{"u": sales.GlobalID}, &set)
	require.Empty(t, set.SetUserPaymentLimit.UserErrors)
	b := k.Login(t, sales)

	const charge = `mutation($in: ChargeSubscriptionInput!) { chargeSubscription(input: $in) {
		invoice { id } payment { id createdBy { email } } userErrors { field code message } } }`
	type chargeOut struct {
		ChargeSubscription struct {
			Invoice *struct{ ID string }
			Payment *struct {
				ID        string
				CreatedBy *struct{ Email string }
			}
			UserErrors []kassatest.UserError
		}
	}
	invoices := func() int64 { return k.scalar(t, `SELECT count(*) FROM invoices`) }
	payments := func() int64 { return k.scalar(t, `SELECT count(*) FROM payments`) }

	t.Run("ChargeAboveTheLimitIsRefused", func(t *testing.T) {
		inv, pays := invoices(), payments()
		var out chargeOut
		k.GraphQLAsWith(t, b, map[string]string{"Idempotency-Key": "sam-1"}, charge,
			map[string]any{"in": map[string]any{"subscriptionId": id, "amount": 100000, "description": "Extra"}}).Decode(t, &out)
		require.Equal(t, []string{"AMOUNT_ABOVE_LIMIT"}, kassatest.Codes(out.ChargeSubscription.UserErrors))
		require.Nil(t, out.ChargeSubscription.Payment)
		require.Equal(t, inv, invoices(), "no invoice")
		require.Equal(t, pays, payments(), "no payment")
	})
	t.Run("ChargeWithinTheLimitNamesTheMember", func(t *testing.T) {
		var out chargeOut
		k.GraphQLAsWith(t, b, map[string]string{"Idempotency-Key": "sam-2"}, charge,
			map[string]any{"in": map[string]any{"subscriptionId": id, "amount": 4000, "description": "Towel"}}).Decode(t, &out)
		require.Empty(t, out.ChargeSubscription.UserErrors)
		require.NotNil(t, out.ChargeSubscription.Payment)
		require.NotNil(t, out.ChargeSubscription.Payment.CreatedBy, "the payment records who charged it")
		require.Equal(t, "sam@gym.test", out.ChargeSubscription.Payment.CreatedBy.Email)
		require.EqualValues(t, 1, k.scalar(t, `SELECT count(*) FROM audit_events WHERE action = 'subscription.charged' AND actor_user = $1`, sales.ID))
	})
	const update = `mutation($in: UpdateSubscriptionPlanInput!) { updateSubscriptionPlan(input: $in) {
		subscription { id } userErrors { field code message } } }`
	type updateOut struct {
		UpdateSubscriptionPlan struct {
			Subscription *struct{ ID string }
			UserErrors   []kassatest.UserError
		}
	}
	plan := func(amount int64) map[string]any {
		return map[string]any{"in": map[string]any{"id": id, "plan": map[string]any{"kind": "FIXED", "amount": amount, "interval": "MONTHLY"}}}
	}
	t.Run("PlanAboveTheLimitIsRefused", func(t *testing.T) {
		var out updateOut
		k.GraphQLAs(t, b, update, plan(999900)).Decode(t, &out)
		require.Equal(t, []string{"AMOUNT_ABOVE_LIMIT"}, kassatest.Codes(out.UpdateSubscriptionPlan.UserErrors))
		require.Nil(t, out.UpdateSubscriptionPlan.Subscription)
		require.EqualValues(t, 0, k.scalar(t, `SELECT count(*) FROM subscriptions WHERE plan->>'amount' = '999900' OR coalesce(pending_plan->>'amount', '') = '999900'`))
	})
	t.Run("UsagePlanIsRefusedToAMemberWithALimit", func(t *testing.T) {
		var out updateOut
		k.GraphQLAs(t, b, update, map[string]any{"in": map[string]any{"id": id, "plan": map[string]any{"kind": "USAGE", "unitPrice": 100, "interval": "MONTHLY"}}}).Decode(t, &out)
		require.Len(t, out.UpdateSubscriptionPlan.UserErrors, 1)
	})
	t.Run("PlanWithinTheLimitIsRecorded", func(t *testing.T) {
		var out updateOut
		k.GraphQLAs(t, b, update, plan(4900)).Decode(t, &out)
		require.Empty(t, out.UpdateSubscriptionPlan.UserErrors)
		require.EqualValues(t, 1, k.scalar(t, `SELECT count(*) FROM audit_events WHERE action = 'subscription.plan_changed' AND actor_user = $1`, sales.ID))
	})
	t.Run("OwnerIsNotLimited", func(t *testing.T) {
		var out updateOut
		k.gql(t, update, plan(999900), &out)
		require.Empty(t, out.UpdateSubscriptionPlan.UserErrors)
	})
}
