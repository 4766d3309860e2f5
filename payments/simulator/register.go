package simulator

import (
	"context"

	"kassa/payments"
)

// SecretEnv is the environment variable holding the secret that signs the
// simulator's callbacks and authenticates calls to it.
const SecretEnv = "KASSA_SIMULATOR_SECRET"

func init() {
	payments.RegisterProcessor(payments.ProcessorSpec{
		Name: "simulator",
		Env: []payments.EnvVar{{
			Name: SecretEnv, Shown: "*(made per installation)*",
			// Unset, each installation makes its own and keeps it in the
			// data directory (see installationSecret): a default in the
			// code would be public.
			Doc: "signs the simulator's callbacks; unset, a random secret is made on first start and kept in `$KASSA_DATA_DIR/simulator-secret` (mode 0600) for later starts (set it when several nodes share one database)",
		}},
		Check: func(_ map[string]string, production bool) []string {
			if production {
				return []string{"KASSA_PROCESSOR=simulator is for development: set stripe in production"}
			}
			return nil
		},
		Build: build,
	})
}

// build makes the simulator: its server (pages, API, callback outbox) and
// the client kassa calls it with.
func build(env payments.ProcessorEnv) (payments.BuiltProcessor, error) {
	secret := env.Settings[SecretEnv]
	if secret == "" {
		var err error
		if secret, err = installationSecret(env.DataDir); err != nil {
			return payments.BuiltProcessor{}, err
		}
	}
	sim := NewServer(Config{
		DB: env.DB, PublicURL: env.HandlerURL, CallbackURL: env.CallbackURL,
		Secret: secret, Clock: env.Clock, Logger: env.Logger,
	})
	if env.Accounts != nil {
		sim.SetAccounts(func(ctx context.Context, account string) (Account, error) {
			a, err := env.Accounts(ctx, account)
			return Account{Name: a.Name, Locale: a.Locale}, err
		})
	}
	return payments.BuiltProcessor{Processor: NewClient(env.HandlerURL, secret), Handler: sim.Handler(), Run: sim.Run, Service: sim}, nil
}
