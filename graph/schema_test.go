package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/codegen/config"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchemaIsDescribed holds the schema to being the integrator's manual:
// every type, field, argument, input field and enum value kassa defines
// carries a description. It loads the schema files the way gqlgen does
// (gqlgen.yml's schema list, globbed from the repository root), so a new
// schema file is checked as soon as it is generated from.
func TestSchemaIsDescribed(t *testing.T) {
	// gqlgen globs the schema list from the working directory, as `make
	// generate` runs at the repository root; t.Chdir rules out t.Parallel.
	t.Chdir("..")
	cfg, err := config.LoadConfig("gqlgen.yml")
	require.NoError(t, err)
	require.NotEmpty(t, cfg.Sources, "gqlgen.yml names no schema files")
	schema, gerr := gqlparser.LoadSchema(cfg.Sources...)
	require.NoError(t, gerr)

	missing := undescribed(schema)
	if len(missing) > 0 {
		t.Errorf("%d schema elements have no description (say what it means, its unit and its limits):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

// undescribed lists, as "file:line kind name", every user-defined element of
// schema without a description. Built-in scalars, directives and the
// introspection types are the GraphQL spec's, not ours.
func undescribed(schema *ast.Schema) []string {
	var out []string
	add := func(pos *ast.Position, kind, name, desc string) {
		if strings.TrimSpace(desc) != "" {
			return
		}
		where := "?"
		if pos != nil && pos.Src != nil {
			where = fmt.Sprintf("%s:%d", pos.Src.Name, pos.Line)
		}
		out = append(out, fmt.Sprintf("%s %s %s", where, kind, name))
	}
	for _, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(def.Name, "__") {
			continue
		}
		add(def.Position, "type", def.Name, def.Description)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			kind := "field"
			if def.Kind == ast.InputObject {
				kind = "input field"
			}
			add(f.Position, kind, def.Name+"."+f.Name, f.Description)
			for _, a := range f.Arguments {
				add(a.Position, "argument", def.Name+"."+f.Name+"("+a.Name+")", a.Description)
			}
		}
		for _, v := range def.EnumValues {
			add(v.Position, "enum value", def.Name+"."+v.Name, v.Description)
		}
	}
	for _, d := range schema.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		add(d.Position, "directive", "@"+d.Name, d.Description)
		for _, a := range d.Arguments {
			add(a.Position, "argument", "@"+d.Name+"("+a.Name+")", a.Description)
		}
	}
	sort.Strings(out)
	return out
}
