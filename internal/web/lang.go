package web

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

const langCookie = "lang"

// langMatcher matches Accept-Language against the UI languages; English,
// listed first, is the fallback.
var langMatcher = language.NewMatcher([]language.Tag{language.English, language.German})

// validLang reports whether lang is one of the supported languages.
func validLang(lang string) bool { return lang == "en" || lang == "de" }

// pageLang chooses the UI language: ?lang= (remembered in a cookie), then
// the cookie, then Accept-Language, then English. An unsupported ?lang= is
// ignored rather than an error: pages always render.
func pageLang(w http.ResponseWriter, r *http.Request) string {
	if q := strings.ToLower(r.URL.Query().Get("lang")); validLang(q) {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks en or de from an Accept-Language header (RFC 9110
// section 12.5.4), honouring q-values.
func acceptLang(header string) string {
	if header == "" {
		return "en"
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, idx, conf := langMatcher.Match(tags...)
	if conf == language.No || idx != 1 {
		return "en"
	}
	return "de"
}

// apiLang resolves the language of an API request: the value from the body
// (if any), then ?lang=, then English. Unlike pages, the API rejects an
// unsupported value; ok is false then.
func apiLang(fromBody string, r *http.Request) (lang string, ok bool) {
	lang = fromBody
	if lang == "" && r.URL.RawQuery != "" {
		lang = r.URL.Query().Get("lang")
	}
	if lang == "" {
		return "en", true
	}
	lang = strings.ToLower(lang)
	return lang, validLang(lang)
}
