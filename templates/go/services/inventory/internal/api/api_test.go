package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOpenAPIDocumentIsEmbedded(t *testing.T) {
	recorder := httptest.NewRecorder()
	Handler().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if recorder.Code != http.StatusOK || !strings.HasPrefix(recorder.Body.String(), "openapi: 3.1.0") {
		t.Fatalf("GET /openapi.yaml: %d %q", recorder.Code, recorder.Body.String())
	}
}

func TestLivenessAnswersNoContent(t *testing.T) {
	recorder := httptest.NewRecorder()
	Management().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/livez", nil))
	if recorder.Code != http.StatusNoContent {
		t.Fatalf("GET /livez: %d", recorder.Code)
	}
}
