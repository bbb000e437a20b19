// Command my-service is the sample service of this project: replace the handlers with yours and keep
// what the image relies on: listen on $PORT, answer GET /healthz with a 2xx, stop on SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	defaultPort = "8080"
	// Finish in-flight requests before the runtime's stop timeout kills the process.
	shutdownGrace = 1500 * time.Millisecond
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := serve(listenPort(), logger); err != nil {
		logger.Error("server failed", "error", err)
		os.Exit(1)
	}
}

// listenPort is $PORT, or the port the project was generated with.
func listenPort() string {
	if port := os.Getenv("PORT"); port != "" {
		return port
	}
	return defaultPort
}

func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"service":"my-service","message":"hello"}`)
	})
	return mux
}

// serve answers HTTP on port until SIGTERM or SIGINT, then drains in-flight requests.
func serve(port string, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	server := &http.Server{
		Addr:              ":" + port,
		Handler:           newHandler(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	failed := make(chan error, 1)
	go func() {
		logger.Info("listening", "port", port)
		if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			failed <- err
		}
	}()

	select {
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return server.Shutdown(shutdownCtx)
}
