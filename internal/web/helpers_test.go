package web

import (
	"net/http/httptest"
	"testing"
)

// httptestServer starts the whole site on a loopback port for the test.
func httptestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Version: "test"}))
	t.Cleanup(srv.Close)
	return srv
}
