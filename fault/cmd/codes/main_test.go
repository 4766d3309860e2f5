package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's table of error codes is what the declarations say now.
func TestREADMETableIsUpToDate(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	table, err := Table(root)
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), begin+"\n")
	require.True(t, ok, "README.md has no table of error codes")
	got, _, ok := strings.Cut(rest, end)
	require.True(t, ok, "README.md's table of error codes has no end marker")
	require.Equal(t, table, got, "README.md's table of error codes is stale: run make generate")
}
