package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAPIExplain measures POST /api/v1/explain through the whole
// handler stack (headers, routing, timeout, metrics, JSON) without the
// network; bench/serve.sh measures it over loopback.
func BenchmarkAPIExplain(b *testing.B) {
	h := New(Options{})
	body := `{"text":"` + userUnknown + `"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/explain", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
