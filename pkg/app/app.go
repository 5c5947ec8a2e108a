// Package app is the shape of every command's main: a context cancelled by
// SIGINT or SIGTERM (what Kubernetes sends), a JSON logger, and a run
// function whose error decides the exit code. Only Main calls os.Exit.
package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"gongjian.dev/pkg/telemetry"
)

// Main runs run until it returns, then exits 1 if it failed.
func Main(service string, run func(ctx context.Context, log *slog.Logger) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := telemetry.NewLogger(os.Stderr, service, level())
	err := run(ctx, log)
	stop()
	if err != nil {
		log.Error("exiting", "error", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

func level() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
