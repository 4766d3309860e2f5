package server_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/payments"
	"kassa/server"
)

// TestProcessorConfiguration: the processors kassa can use come from the
// registry, and each checks and builds from its own settings with the
// messages an operator sees.
func TestProcessorConfiguration(t *testing.T) {
	names := []string{}
	for _, p := range payments.Processors() {
		names = append(names, p.Name)
	}
	require.Subset(t, names, []string{"simulator", "stripe"}, "the built-in processors are registered")

	t.Run("UnknownProcessorIsAConfigurationError", func(t *testing.T) {
		t.Setenv("KASSA_PROCESSOR", "paypal")
		_, err := server.FromEnv()
		// "simulator or stripe"; "a, b or c" with more.
		want := names[len(names)-1]
		if len(names) > 1 {
			want = strings.Join(names[:len(names)-1], ", ") + " or " + want
		}
		require.ErrorContains(t, err, "KASSA_PROCESSOR must be "+want)
	})
	t.Run("SimulatorIsRefusedInProduction", func(t *testing.T) {
		t.Setenv("KASSA_PROCESSOR", "simulator")
		t.Setenv("KASSA_ENV", "production")
		_, err := server.FromEnv()
		require.ErrorContains(t, err, "KASSA_PROCESSOR=simulator is for development: set stripe in production")
	})
	t.Run("SettingsComeFromTheEnvironment", func(t *testing.T) {
		t.Setenv("KASSA_PROCESSOR", "stripe")
		t.Setenv("KASSA_STRIPE_SECRET_KEY", "sk_test_x")
		t.Setenv("KASSA_STRIPE_WEBHOOK_SECRETS", " whsec_a, whsec_b ")
		cfg, err := server.FromEnv()
		require.NoError(t, err)
		require.Equal(t, "stripe", cfg.Processor)
		require.Equal(t, "sk_test_x", cfg.ProcessorSettings["KASSA_STRIPE_SECRET_KEY"])
		require.Equal(t, " whsec_a, whsec_b ", cfg.ProcessorSettings["KASSA_STRIPE_WEBHOOK_SECRETS"])
	})
	t.Run("StripeNeedsItsKey", func(t *testing.T) {
		cfg := testConfig()
		cfg.Processor = "stripe"
		_, err := server.New(cfg, dbtest.New(t), logging.New(io.Discard, "error"))
		require.EqualError(t, err, "KASSA_PROCESSOR=stripe needs KASSA_STRIPE_SECRET_KEY")

		cfg.ProcessorSettings["KASSA_STRIPE_SECRET_KEY"] = "sk_test_x"
		_, err = server.New(cfg, dbtest.New(t), logging.New(io.Discard, "error"))
		require.EqualError(t, err, "stripe: at least one webhook secret is required")

		cfg.ProcessorSettings["KASSA_STRIPE_WEBHOOK_SECRETS"] = " , whsec_a"
		srv, err := server.New(cfg, dbtest.New(t), logging.New(io.Discard, "error"))
		require.NoError(t, err)
		require.Nil(t, srv.Simulator())
	})
}

// TestProcessorSettingsDocumented: the README's configuration table
// lists every registered processor's settings as the processor documents
// them, and KASSA_PROCESSOR's row names every processor.
func TestProcessorSettingsDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	row := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, "| `"+name+"` |") {
				return l
			}
		}
		return ""
	}
	for _, p := range payments.Processors() {
		require.Contains(t, row("KASSA_PROCESSOR"), "`"+p.Name+"`")
		for _, v := range p.Env {
			shown := v.Shown
			if shown == "" && v.Default != "" {
				shown = "`" + v.Default + "`"
			}
			if shown != "" {
				shown += " "
			}
			require.Equal(t, fmt.Sprintf("| `%s` | %s| %s |", v.Name, shown, v.Doc), row(v.Name), "the README's row of %s", v.Name)
		}
	}
}
