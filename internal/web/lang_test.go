package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptLang(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"de", "de"},
		{"de-DE,de;q=0.9,en;q=0.8", "de"},
		{"de-AT", "de"},
		{"de-CH, en;q=0.5", "de"},
		{"en-US,en;q=0.9,de;q=0.8", "en"},
		{"en;q=0.1, de;q=0.9", "de"},
		{"fr-FR, de;q=0.5", "de"},
		{"fr", "en"},
		{"*", "en"},
		{"xx-invalid;;;q=abc", "en"},
		{"gsw", "de"}, // Swiss German is understood as German
	} {
		if got := acceptLang(tc.header); got != tc.want {
			t.Errorf("acceptLang(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLanguageNegotiation(t *testing.T) {
	h := New(testOptions)
	for _, tc := range []struct {
		name, target, cookie, accept string
		want                         string
		setsCookie                   bool
	}{
		{"default", "/", "", "", "en", false},
		{"accept-language", "/", "", "de-DE,de;q=0.9", "de", false},
		{"cookie beats accept-language", "/", "en", "de", "en", false},
		{"cookie de", "/codes", "de", "en-US", "de", false},
		{"query beats cookie and header", "/?lang=de", "en", "en", "de", true},
		{"query en beats header de", "/codes?lang=en", "", "de", "en", true},
		{"query is case-insensitive", "/?lang=DE", "", "", "de", true},
		{"unknown query falls back to cookie", "/?lang=fr", "de", "en", "de", false},
		{"unknown cookie falls back to header", "/", "fr", "de", "de", false},
		{"entry page", "/codes/smtp-550", "", "de", "de", false},
		{"error page", "/nothing-here", "de", "", "de", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "lang", Value: tc.cookie})
			}
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if !strings.Contains(body, `<html lang="`+tc.want+`">`) {
				t.Errorf("GET %s: page is not in %q: %.200s", tc.target, tc.want, body)
			}
			if got := w.Header().Get("Content-Language"); got != tc.want {
				t.Errorf("Content-Language = %q, want %q", got, tc.want)
			}
			var set *http.Cookie
			for _, c := range w.Result().Cookies() {
				if c.Name == "lang" {
					set = c
				}
			}
			if tc.setsCookie != (set != nil) {
				t.Fatalf("cookie set = %v, want %v", set, tc.setsCookie)
			}
			if set != nil && (set.Value != tc.want || set.Path != "/" || !set.HttpOnly || set.MaxAge <= 0) {
				t.Errorf("cookie = %+v", set)
			}
			// The switch is on every page and keeps the path.
			path := strings.SplitN(tc.target, "?", 2)[0]
			for _, l := range []string{"en", "de"} {
				if !strings.Contains(body, `hreflang="`+l+`"`) || !strings.Contains(body, `href="`+path+`?lang=`+l) {
					t.Errorf("GET %s: no switch to %s keeping the path", tc.target, l)
				}
			}
		})
	}
}

func TestLanguageSwitchKeepsQuery(t *testing.T) {
	h := New(testOptions)
	w := serve(t, h, request{method: "GET", target: "/codes?q=postfach&source=smtp"})
	if want := `href="/codes?lang=de&amp;q=postfach&amp;source=smtp"`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("library page lacks %s", want)
	}
	w = serve(t, h, request{"POST", "/explain", formType, "text=550+5.1.1", nil})
	if want := `href="/explain?lang=de&amp;text=550&#43;5.1.1"`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("result page lacks %s", want)
	}
}
