package main

import (
	"context"
	"os"

	"kassa/bench"
)

// cmdBench is `kassa bench`: see package bench.
func cmdBench(ctx context.Context, args []string) error {
	return bench.Main(ctx, args, os.Stdout, os.Stderr)
}
