// Package api serves the inventory's HTTP API and its OpenAPI document, embedded in the binary.
package api

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
)

//go:embed openapi.yaml
var openAPI []byte

// Item is one line of stock.
type Item struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Handler serves the public API.
func Handler() http.Handler {
	items := []Item{{ID: uuid.NewString(), Name: "bolt", Count: 40}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(items)
	})
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPI)
	})
	return mux
}

// Management serves liveness on the management port, apart from the public API.
func Management() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
