package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// verifyWebhook checks a delivery as the Standard Webhooks specification
// (https://www.standardwebhooks.com) tells a receiver to:
//
//   - the secret is "whsec_" followed by base64; the key is the decoded
//     base64;
//   - the signed content is webhook-id + "." + webhook-timestamp + "." +
//     the raw body, exactly as received (verify before parsing the JSON);
//   - the signature is HMAC-SHA256 in base64; webhook-signature holds one
//     or more space-separated "v1,<signature>" (two while kassa rotates
//     the secret): accept if any matches, compared in constant time;
//   - refuse a timestamp more than tolerance away from now (replays).
func verifyWebhook(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	if id == "" || timestamp == "" || signatures == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("bad webhook-timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook-timestamp too far from now")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return errors.New("the webhook secret is not whsec_ + base64")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(signatures) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && subtle.ConstantTimeCompare(got, want) == 1 {
			return nil
		}
	}
	return errors.New("no valid signature")
}
