package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthzAnswersOK(t *testing.T) {
	server := httptest.NewServer(newHandler())
	defer server.Close()

	resp, err := http.Get(server.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %s, want 200", resp.Status)
	}
}

func TestRootAnswersJSON(t *testing.T) {
	server := httptest.NewServer(newHandler())
	defer server.Close()

	resp, err := http.Get(server.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"message":"hello"`) {
		t.Fatalf("GET / = %s %q", resp.Status, body)
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	server := httptest.NewServer(newHandler())
	defer server.Close()

	resp, err := http.Get(server.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /nope = %s, want 404", resp.Status)
	}
}

func TestListenPortPrefersEnvironment(t *testing.T) {
	t.Setenv("PORT", "9999")
	if got := listenPort(); got != "9999" {
		t.Fatalf("listenPort() = %q, want 9999", got)
	}
	t.Setenv("PORT", "")
	if got := listenPort(); got != defaultPort {
		t.Fatalf("listenPort() = %q, want %q", got, defaultPort)
	}
}

func TestProbeFailsOnUnhealthyServer(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer server.Close()

	if err := probe(server.URL); err == nil {
		t.Fatal("probe of a 503 succeeded, want an error")
	}
}

func TestProbeSucceedsOnHealthyServer(t *testing.T) {
	server := httptest.NewServer(newHandler())
	defer server.Close()

	if err := probe(server.URL + "/healthz"); err != nil {
		t.Fatalf("probe of a healthy server: %v", err)
	}
}
