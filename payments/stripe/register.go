package stripe

import (
	"errors"
	"strings"

	"kassa/payments"
)

// The environment variables of the Stripe connector.
//
//nolint:gosec // G101: names of environment variables, not their values
const (
	SecretKeyEnv      = "KASSA_STRIPE_SECRET_KEY"
	WebhookSecretsEnv = "KASSA_STRIPE_WEBHOOK_SECRETS"
	APIURLEnv         = "KASSA_STRIPE_API_URL"
)

func init() {
	payments.RegisterProcessor(payments.ProcessorSpec{
		Name: "stripe",
		Env: []payments.EnvVar{
			{Name: SecretKeyEnv, Doc: "Stripe API key (`KASSA_PROCESSOR=stripe`)"},
			{Name: WebhookSecretsEnv, Doc: "comma-separated `whsec_…` secrets; several while rotating"},
			{Name: APIURLEnv, Shown: "*(Stripe)*", Doc: "another Stripe API base (stripe-mock in tests)"},
		},
		Build: func(env payments.ProcessorEnv) (payments.BuiltProcessor, error) {
			if env.Settings[SecretKeyEnv] == "" {
				return payments.BuiltProcessor{}, errors.New("KASSA_PROCESSOR=stripe needs " + SecretKeyEnv)
			}
			var secrets []string
			for _, sec := range strings.Split(env.Settings[WebhookSecretsEnv], ",") {
				if sec = strings.TrimSpace(sec); sec != "" {
					secrets = append(secrets, sec)
				}
			}
			c, err := New(Config{SecretKey: env.Settings[SecretKeyEnv], WebhookSecrets: secrets, BackendURL: env.Settings[APIURLEnv]})
			if err != nil {
				return payments.BuiltProcessor{}, err
			}
			return payments.BuiltProcessor{Processor: c}, nil
		},
	})
}
