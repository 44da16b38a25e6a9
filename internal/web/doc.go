// Package web is maildx's HTTP server: a JSON API under /api/v1 (described
// by the embedded OpenAPI 3.1 document at /api/v1/openapi.json), Prometheus
// metrics at /metrics, and a server-rendered, bilingual (English/German) web
// UI to explain a pasted error, analyse an uploaded bounce email and browse
// the error library.
//
// It owns HTTP concerns only: decoding requests, bounding them (body sizes,
// handler timeouts, panic recovery), mapping errors to status codes,
// negotiating the language and rendering. The diagnosis comes from
// maildx.Explain, bounce parsing from package dsn and the library from
// package kb; there is no second copy of any rule here.
//
// Templates (templates/*.html), the stylesheet (static/) and the UI strings
// (i18n/en.json, i18n/de.json) are embedded and parsed once in New. Pages
// load nothing from other origins and run no script; every response carries a
// strict Content-Security-Policy. Untrusted text is escaped by html/template.
package web
