package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/maildx/maildx"
	"github.com/maildx/maildx/dsn"
	"github.com/maildx/maildx/kb"
)

// The request and response types of the JSON API. docs/api.md and
// openapi.json describe them; the diagnosis itself is maildx.Diagnosis
// (docs/diagnosis.md) and a parse result is dsn.Result.

// ExplainRequest is the JSON body of POST /api/v1/explain: exactly one of
// Text and Texts.
type ExplainRequest struct {
	Text    *string   `json:"text,omitempty"`
	Texts   *[]string `json:"texts,omitempty"`
	Lang    string    `json:"lang,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
}

// Error is the body of every 4xx and 5xx answer of the API.
type Error struct {
	Error string `json:"error"`
}

// CodesResponse is the answer of GET /api/v1/codes.
type CodesResponse struct {
	Count   int         `json:"count"`
	Entries []*APIEntry `json:"entries"`
}

// APIEntry is a knowledge-base entry (kb.Entry's JSON, both languages in
// "text") plus its texts in the requested language and its page URL.
type APIEntry struct {
	*kb.Entry
	Lang     string   `json:"lang"`
	Title    string   `json:"title"`
	Meaning  string   `json:"meaning"`
	Solution []string `json:"solution"`
	URL      string   `json:"url"`
}

// Health is the answer of GET /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Entries int    `json:"entries"`
}

// maxAttempt bounds ExplainRequest.Attempt; retry_after stops growing at a
// day long before.
const maxAttempt = 100

// maxQuery bounds the q parameter of the library search.
const maxQuery = 500

// maxFiles bounds the files of one multipart upload.
const maxFiles = 100

// errEmpty is returned for a text that is empty after trimming.
var errEmpty = errors.New("text is empty")

func (s *server) apiExplain(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeBodyError(w, &http.MaxBytesError{Limit: s.opts.MaxBodyBytes})
		return
	}
	mediaType := contentType(r)
	switch mediaType {
	case "application/json", "text/plain", "application/x-www-form-urlencoded", "":
	default:
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q: send application/json or text/plain", mediaType))
		return
	}
	// One pooled buffer holds the body and then the answer: every string
	// taken from the body is a copy. readBody bounds the body as
	// http.MaxBytesReader would.
	buf := getBuffer()
	defer putBuffer(buf)
	body, err := readBody((*buf)[:0], r.Body, s.opts.MaxBodyBytes)
	*buf = body
	if err != nil {
		writeBodyError(w, err)
		return
	}
	if mediaType != "application/json" && mediaType != "text/plain" {
		// QUIRK: curl -d '{"text": …}' labels JSON as a form; a body without
		// a type (some HTTP libraries) or labelled as a form that opens like
		// a JSON object is JSON.
		if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			mediaType = "application/json"
		}
	}
	// The text is kept apart from req: escape analysis does not tell a
	// struct's fields apart, so a pointer in req.Text would move the text's
	// string header to the heap along with req.Lang.
	var (
		req     ExplainRequest // the request but its Text: use text and hasText
		text    string
		hasText bool
	)
	switch mediaType {
	case "application/json":
		if f, ok := decodeExplainRequest(body); ok {
			text, hasText, req.Lang = f.text, f.hasText, f.lang
			break
		}
		slow := new(ExplainRequest) // decodeJSON's argument escapes; req need not
		if err := decodeJSON(bytes.NewReader(body), slow); err != nil {
			writeBodyError(w, err)
			return
		}
		req = *slow
		if req.Text != nil {
			text, hasText = *req.Text, true
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid form body: "+err.Error())
			return
		}
		text, hasText = form.Get("text"), form.Has("text")
		req.Lang = form.Get("lang")
	default:
		text, hasText = string(body), true
	}
	lang, ok := apiLang(req.Lang, r)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported lang %q: use en or de", lang))
		return
	}
	if req.Attempt < 0 || req.Attempt > maxAttempt {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("attempt must be between 0 and %d", maxAttempt))
		return
	}
	var optBuf [2]maildx.Option
	opts := append(optBuf[:0], maildx.WithLang(lang))
	if req.Attempt > 0 {
		opts = append(opts, maildx.WithAttempt(req.Attempt))
	}
	switch {
	case hasText && req.Texts != nil:
		writeError(w, http.StatusBadRequest, `send either "text" or "texts", not both`)
	case hasText:
		if strings.TrimSpace(text) == "" {
			writeError(w, http.StatusBadRequest, errEmpty.Error())
			return
		}
		d := maildx.Explain(text, opts...)
		s.metrics.explained(d.Reason)
		// AppendJSON is encoding/json without HTML escaping, as writeJSON.
		*buf = append(d.AppendJSON((*buf)[:0]), '\n')
		writeJSONBytes(w, http.StatusOK, *buf)
	case req.Texts != nil:
		texts := *req.Texts
		if len(texts) == 0 {
			writeError(w, http.StatusBadRequest, "texts is empty")
			return
		}
		if len(texts) > s.opts.MaxBatch {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("too many texts: %d, at most %d per request", len(texts), s.opts.MaxBatch))
			return
		}
		ctx, cancel := s.withDeadline(w, r)
		defer cancel()
		out := append((*buf)[:0], '[')
		var d maildx.Diagnosis // reused: each result is written out at once
		for i, t := range texts {
			if i%64 == 0 && ctx.Err() != nil {
				*buf = out
				writeTimeout(w, ctx)
				return
			}
			maildx.ExplainTo(&d, t, opts...)
			s.metrics.explained(d.Reason)
			if i > 0 {
				out = append(out, ',')
			}
			out = d.AppendJSON(out)
		}
		*buf = append(out, "]\n"...)
		writeJSONBytes(w, http.StatusOK, *buf)
	default:
		writeError(w, http.StatusBadRequest, `body needs "text" (a string) or "texts" (an array of strings)`)
	}
}

func (s *server) apiCodes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang, ok := apiLang("", r)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported lang %q: use en or de", lang))
		return
	}
	f := kb.Filter{Source: q.Get("source"), Category: q.Get("category"), Reason: q.Get("reason"), Words: q.Get("q")}
	if msg := s.checkFilter(f); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	entries := s.kb.Search(f)
	resp := CodesResponse{Count: len(entries), Entries: make([]*APIEntry, len(entries))}
	for i, e := range entries {
		resp.Entries[i] = apiEntry(e, lang)
	}
	writeJSON(w, http.StatusOK, resp)
}

// checkFilter validates a library filter; it returns a message for the
// user or "".
func (s *server) checkFilter(f kb.Filter) string {
	if f.Source != "" {
		if !knownSource(f.Source) {
			return fmt.Sprintf("unknown source %q", f.Source)
		}
	}
	if f.Category != "" && !contains(kb.Categories, f.Category) {
		return fmt.Sprintf("unknown category %q", f.Category)
	}
	if f.Reason != "" && !contains(kb.Reasons, f.Reason) {
		return fmt.Sprintf("unknown reason %q", f.Reason)
	}
	if len(f.Words) > maxQuery {
		return fmt.Sprintf("q is too long: at most %d bytes", maxQuery)
	}
	return ""
}

func (s *server) apiCode(w http.ResponseWriter, r *http.Request) {
	lang, ok := apiLang("", r)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported lang %q: use en or de", lang))
		return
	}
	e, found := s.kb.ByID(r.PathValue("id"))
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no entry with id %q", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, apiEntry(e, lang))
}

func apiEntry(e *kb.Entry, lang string) *APIEntry {
	t := e.Text.Get(lang)
	return &APIEntry{Entry: e, Lang: lang, Title: t.Title, Meaning: t.Meaning, Solution: t.Solution, URL: "/codes/" + e.ID}
}

// upload is one bounce email received by a parse endpoint.
type upload struct {
	name string
	data []byte
}

// readUploads reads the messages of a parse request, at most limit bytes:
// a multipart/form-data upload (every file part; a "lang" field is
// honoured) or the raw message as the body. It returns the lang field of a
// form ("" if none).
func readUploads(w http.ResponseWriter, r *http.Request, limit int64) (files []upload, lang string, err error) {
	if r.ContentLength > limit {
		return nil, "", &http.MaxBytesError{Limit: limit}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if contentType(r) != "multipart/form-data" {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, "", errNoMessage
		}
		return []upload{{data: data}}, "", nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", errBadUpload, err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", uploadErr(err)
		}
		if part.FileName() == "" {
			if part.FormName() == "lang" {
				b, err := io.ReadAll(io.LimitReader(part, 16))
				if err != nil {
					return nil, "", uploadErr(err)
				}
				lang = strings.TrimSpace(string(b))
			}
			continue
		}
		if len(files) == maxFiles {
			return nil, "", fmt.Errorf("%w: more than %d files", errBadUpload, maxFiles)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, "", uploadErr(err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			files = append(files, upload{name: part.FileName(), data: data})
		}
	}
	if len(files) == 0 {
		return nil, lang, errNoMessage
	}
	return files, lang, nil
}

var (
	errNoMessage = errors.New("no message: send the bounce email as the body (message/rfc822) or as a file in a multipart/form-data upload")
	errBadUpload = errors.New("malformed multipart upload")
)

// uploadErr keeps a size error recognisable and marks anything else as a
// malformed upload.
func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return fmt.Errorf("%w: %w", errBadUpload, err)
}

// parseUploads runs dsn.Parse over every upload, until ctx ends.
func (s *server) parseUploads(ctx context.Context, files []upload, lang string) ([]dsn.Result, error) {
	results := []dsn.Result{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := dsn.Parse(f.data, dsn.Options{Lang: lang, File: f.name})
		if err != nil {
			if f.name != "" {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			return nil, err
		}
		for _, x := range res {
			s.metrics.explained(x.Reason)
		}
		results = append(results, res...)
	}
	return results, nil
}

func (s *server) apiParse(w http.ResponseWriter, r *http.Request) {
	files, formLang, err := readUploads(w, r, s.opts.MaxUploadBytes)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	lang, ok := apiLang(formLang, r)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported lang %q: use en or de", lang))
		return
	}
	results, err := s.parseUploads(r.Context(), files, lang)
	if err != nil {
		if r.Context().Err() != nil {
			return // wrap answers 503
		}
		if errors.Is(err, dsn.ErrTooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		writeError(w, http.StatusUnprocessableEntity, "cannot read message: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, results)
}

func (s *server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.openapi)
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, Health{Status: "ok", Version: s.opts.Version, Entries: len(s.kb.Entries())})
}

func (s *server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
}

// contentType returns the media type of the request body, lower-cased
// without parameters; "" when absent or unparsable.
func contentType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	switch ct {
	case "", "application/json", "text/plain":
		return ct // what mime.ParseMediaType returns for these, without its allocations
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

// decodeJSON decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data.
func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errors.New("invalid JSON: data after the object")
	}
	return nil
}

// writeBodyError maps an error from reading or decoding a request body to
// its status code; this is the one place where that mapping lives.
func writeBodyError(w http.ResponseWriter, err error) {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large: at most %d bytes", mbe.Limit))
	case errors.As(err, &syntax):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid JSON at byte %d: %v", syntax.Offset, err))
	case errors.As(err, &typ):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid JSON: field %q must be %s", typ.Field, jsonTypeName(typ)))
	case errors.Is(err, errNoMessage), errors.Is(err, errBadUpload), errors.Is(err, multipart.ErrMessageTooLarge):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "invalid JSON: empty or truncated body")
	default:
		msg := err.Error()
		if !utf8.ValidString(msg) {
			msg = "invalid request body"
		}
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(msg, "json: "))
	}
}

func jsonTypeName(e *json.UnmarshalTypeError) string {
	switch e.Field {
	case "text", "lang":
		return "a string"
	case "texts":
		return "an array of strings"
	case "attempt":
		return "a number"
	}
	return "of type " + e.Type.String()
}

// writeJSON writes v as compact JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	bb := bytes.NewBuffer((*buf)[:0])
	enc := json.NewEncoder(bb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode response")
		return
	}
	*buf = bb.Bytes()
	writeJSONBytes(w, status, *buf)
}

// jsonContentType is the Content-Type header value of JSON answers, made
// once (see securityHeaders).
var jsonContentType = []string{"application/json"}

// writeJSONBytes writes b, JSON encoded by the caller, as the answer.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes the API's error body {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(Error{Error: msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func knownSource(id string) bool {
	for _, s := range kb.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}
