package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"kassa/db/pgcluster"
)

// cmdTestenv runs a command (the test suite) with one ephemeral PostgreSQL
// cluster for the whole run, so every test package shares it instead of
// starting its own. Tests clone their databases from a migrated template.
func cmdTestenv(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("testenv: no command given")
	}
	dir, err := os.MkdirTemp("", "kassa-testenv-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir + "/pg", Fast: true})
	if err != nil {
		return err
	}
	defer func() {
		_ = c.Stop(context.WithoutCancel(ctx))
		if c.DataDir() != dir+"/pg" {
			_ = os.RemoveAll(c.DataDir())
		}
	}()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "KASSA_TEST_DATABASE_URL="+c.URL())
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitCode(exitErr.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	return nil
}
