package gid_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/gid"
)

func TestCodec(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("0190f3a2-7c1e-7b2d-9e4f-0123456789ab")

	t.Run("EncodesPrefixAndLowercaseHex", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "ord_0190f3a27c1e7b2d9e4f0123456789ab", gid.Encode(gid.Order, id))
		require.Equal(t, "evt_0190f3a27c1e7b2d9e4f0123456789ab", gid.Encode(gid.WebhookEvent, id))
	})

	t.Run("RoundTrips", func(t *testing.T) {
		t.Parallel()
		for _, prefix := range []string{gid.Merchant, gid.Order, gid.Payment, gid.Checkout, gid.WebhookEvent} {
			for range 20 {
				id := uuid.Must(uuid.NewV7())
				p, back, err := gid.Decode(gid.Encode(prefix, id))
				require.NoError(t, err)
				require.Equal(t, prefix, p)
				require.Equal(t, id, back)
				back, err = gid.Parse(prefix, gid.Encode(prefix, id))
				require.NoError(t, err)
				require.Equal(t, id, back)
			}
		}
	})

	t.Run("AcceptsUppercaseHex", func(t *testing.T) {
		t.Parallel()
		back, err := gid.Parse(gid.Order, "ord_"+strings.ToUpper("0190f3a27c1e7b2d9e4f0123456789ab"))
		require.NoError(t, err)
		require.Equal(t, id, back)
	})

	t.Run("RejectsBadInput", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, in string
			want     error
		}{
			{"OtherType", "pay_0190f3a27c1e7b2d9e4f0123456789ab", gid.ErrWrongType},
			{"EmptyPrefix", "_0190f3a27c1e7b2d9e4f0123456789ab", gid.ErrWrongType},
			{"NoSeparator", "ord0190f3a27c1e7b2d9e4f0123456789ab", gid.ErrMalformed},
			{"BadHex", "ord_0190f3a27c1e7b2d9e4f0123456789ag", gid.ErrMalformed},
			{"TooShort", "ord_0190f3a27c1e7b2d9e4f0123456789a", gid.ErrMalformed},
			{"TooLong", "ord_0190f3a27c1e7b2d9e4f0123456789abc", gid.ErrMalformed},
			{"DashedUUID", "ord_" + id.String(), gid.ErrMalformed},
			{"NilUUID", "ord_00000000000000000000000000000000", gid.ErrMalformed},
			{"Empty", "", gid.ErrMalformed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				got, err := gid.Parse(gid.Order, tc.in)
				require.ErrorIs(t, err, tc.want)
				require.Equal(t, uuid.Nil, got)
			})
		}
	})
}

func ExampleEncode() {
	id := uuid.MustParse("0190f3a2-7c1e-7b2d-9e4f-0123456789ab")
	fmt.Println(gid.Encode(gid.Checkout, id))
	// Output: chk_0190f3a27c1e7b2d9e4f0123456789ab
}
