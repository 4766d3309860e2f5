package payments

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"kassa/db"
)

// A processor connector owns its wiring: its package registers a
// ProcessorSpec in an init function (its settings, their defaults and
// documentation, their validation, and how to build it), and the
// composition root enables it with one import line. kassa's server reads
// the settings, validates them and builds the processor named by
// KASSA_PROCESSOR from this registry alone.

// EnvVar is a setting a processor reads from the environment.
type EnvVar struct {
	Name    string // e.g. KASSA_STRIPE_SECRET_KEY
	Default string // the value when unset or empty
	// Shown is how the README's configuration table shows the default when
	// it is not a value, e.g. "*(made per installation)*"; empty: Default
	// in code quotes, or nothing without one.
	Shown string
	Doc   string // the README's description of it (Markdown)
}

// ProcessorEnv is what kassa gives a processor it builds.
type ProcessorEnv struct {
	// Settings are the values of the spec's Env by name, defaults applied.
	Settings map[string]string
	// DB is kassa's database, for a processor that keeps tables of its own
	// (the simulator).
	DB *db.DB
	// HandlerURL is the absolute URL under which the processor's Handler
	// is served (kassa's public URL + "/" + its name); CallbackURL is where
	// the processor POSTs its callbacks (… + "/callbacks/" + its name).
	HandlerURL, CallbackURL string
	// DataDir is kassa's data directory (empty when it has none).
	DataDir string
	Logger  *slog.Logger
	// Clock is business time for a processor that keeps time (holds that
	// lapse); nil is real time. Tests move it.
	Clock interface{ Now() time.Time }
	// Accounts looks up what a processor knows of a merchant account from
	// onboarding: the name customers know it by and its language.
	Accounts func(ctx context.Context, account string) (MerchantAccount, error)
}

// MerchantAccount is a merchant as a processor knows it.
type MerchantAccount struct {
	Name   string
	Locale string
}

// BuiltProcessor is a processor as built from its spec, and what kassa
// serves and runs for it.
type BuiltProcessor struct {
	Processor Processor
	// Handler, if not nil, is served under /<name>/ (with that prefix
	// stripped), e.g. the simulator's 3-D Secure pages.
	Handler http.Handler
	// Run, if not nil, is background work while kassa serves; it returns
	// when ctx ends.
	Run func(ctx context.Context)
	// Service is the connector's own object, for tests that drive it
	// (the simulator's *Server); nil when it has none.
	Service any
}

// ProcessorSpec is a processor connector's registration.
type ProcessorSpec struct {
	Name string // in KASSA_PROCESSOR, URLs and rows: "simulator", "stripe"
	Env  []EnvVar
	// Check validates the settings when KASSA_PROCESSOR names this
	// processor, before anything is built: one message per problem for the
	// configuration error. production says kassa runs in production mode.
	// nil: nothing to check.
	Check func(settings map[string]string, production bool) []string
	// Build makes the processor.
	//
	// Errors: a settings problem found only now (a missing key), in words
	// for the operator.
	Build func(env ProcessorEnv) (BuiltProcessor, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]ProcessorSpec{}
)

// RegisterProcessor makes a processor available to KASSA_PROCESSOR. It is
// meant for init functions and panics on a second registration of a name.
func RegisterProcessor(s ProcessorSpec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if s.Name == "" || s.Build == nil {
		panic("payments: a processor needs a name and a Build function")
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("payments: processor %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// Processors lists the registered processors by name.
func Processors() []ProcessorSpec {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]ProcessorSpec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupProcessor is the registered processor called name.
func LookupProcessor(name string) (ProcessorSpec, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[name]
	return s, ok
}

// Settings are s's settings from lookup (os.Getenv, or a configuration's
// values), each defaulted when empty.
func (s ProcessorSpec) Settings(lookup func(name string) string) map[string]string {
	out := make(map[string]string, len(s.Env))
	for _, v := range s.Env {
		val := lookup(v.Name)
		if val == "" {
			val = v.Default
		}
		out[v.Name] = val
	}
	return out
}
