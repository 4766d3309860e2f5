package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"kassa/graph"
	"kassa/web"
)

// TestGraphiQLExamplesAreValid: every example GraphiQL opens with parses
// and validates against the schema, and its variables fit each of its
// operations, so a schema change that breaks one fails here.
func TestGraphiQLExamplesAreValid(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	require.Len(t, web.GraphiQLExamples, 3, "the salesperson's flow, a refund, a usage report")
	want := [][]string{
		{"createOrder", "sendOrderConfirmation"},
		{"payments", "refundPayment"},
		{"reportUsage"},
	}
	for i, ex := range web.GraphiQLExamples {
		t.Run(ex.Name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, ex.Query, nil) // nil: the default rules
			require.Empty(t, errs, "%s", errs)
			require.NotEmpty(t, doc.Operations)
			vars := map[string]any{}
			filled := strings.NewReplacer("__NOW__", "2026-01-02T03:04:05Z", "__KEY__", "graphiql-test").Replace(ex.Variables)
			require.NoError(t, json.Unmarshal([]byte(filled), &vars), "the variables are JSON")
			fields := map[string]bool{}
			for _, op := range doc.Operations {
				require.NotEmpty(t, op.Name, "GraphiQL lists operations by name")
				_, err := validator.VariableValues(schema, op, vars)
				require.Nil(t, err, "variables of %s: %v", op.Name, err)
				for _, sel := range op.SelectionSet {
					if f, ok := sel.(*ast.Field); ok {
						fields[f.Name] = true
					}
				}
			}
			for _, f := range want[i] {
				require.True(t, fields[f], "the example calls %s", f)
			}
		})
	}
	t.Run("TwoVATRates", func(t *testing.T) {
		q := web.GraphiQLExamples[0].Query
		require.Contains(t, q, "vatRate: 2500")
		require.Contains(t, q, "vatRate: 1200")
	})
}
