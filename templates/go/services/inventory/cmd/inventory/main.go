// Command inventory serves the API on $PORT and liveness on $MANAGEMENT_PORT, and drains both on SIGTERM.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.com/inventory/internal/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	servers := []*http.Server{
		{Addr: ":" + env("PORT", "8000"), Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second},
		{Addr: ":" + env("MANAGEMENT_PORT", "9100"), Handler: api.Management(), ReadHeaderTimeout: 5 * time.Second},
	}
	for _, server := range servers {
		go func() {
			if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				log.Fatal(err)
			}
		}()
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, server := range servers {
		_ = server.Shutdown(shutdown)
	}
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
