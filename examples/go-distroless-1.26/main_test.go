package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// get requests path from the service's handler and returns the status and body.
func get(t *testing.T, path string) (int, string) {
	t.Helper()
	server := httptest.NewServer(newHandler())
	defer server.Close()

	resp, err := http.Get(server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthPathAnswersOK(t *testing.T) {
	if status, body := get(t, "/healthz"); status != http.StatusOK {
		t.Fatalf("GET /healthz = %d %q, want 200", status, body)
	}
}

func TestRootAnswersJSON(t *testing.T) {
	status, body := get(t, "/")
	if status != http.StatusOK || !strings.Contains(body, `"message":"hello"`) {
		t.Fatalf("GET / = %d %q", status, body)
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	if status, _ := get(t, "/nope"); status != http.StatusNotFound {
		t.Fatalf("GET /nope = %d, want 404", status)
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
