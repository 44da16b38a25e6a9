package maildx

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/maildx/maildx/smtpcode"
)

// readJSONOracle is readJSON as it was before parseJSON replaced
// encoding/json in it: the reference the fast reader must equal on every
// input (TestReadJSONOracle, FuzzReadJSON).
func (in *input) readJSONOracle(t string) string {
	if n := httpPrefix(t); n > 0 {
		in.httpStatus = n
		if i := strings.IndexAny(t, "{["); i >= 0 {
			t = t[i:]
		} else {
			return t
		}
	}
	var v any
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return t
	}
	var parts []string
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 6 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		case map[string]any:
			if in.jsonProvider == "" {
				for _, h := range jsonProviderKeys {
					if _, ok := x[h.key]; ok {
						in.jsonProvider = h.provider
						break
					}
				}
			}
			for _, k := range jsonKeys {
				val, ok := x[k]
				if !ok {
					continue
				}
				switch val := val.(type) {
				case string:
					switch k {
					case "code":
						if in.jsonCode == "" {
							in.jsonCode = val
						}
						parts = append(parts, val)
					case "command":
						in.jsonCommand = val
					case "response":
						if in.jsonResponse == "" {
							in.jsonResponse = val
						}
						parts = append(parts, val)
					default:
						parts = append(parts, val)
					}
				case float64:
					n := int(val)
					switch k {
					case "code", "responseCode":
						// An SMTP reply code (nodemailer, Mailgun's delivery-status).
						if smtpcode.ValidReply(n) && in.reply == 0 {
							in.reply = n
						}
					case "statusCode", "status", "http_status":
						if n >= 100 && n < 600 && in.httpStatus == 0 {
							in.httpStatus = n
						}
					}
				case map[string]any, []any:
					walk(val, depth+1)
				}
			}
		}
	}
	walk(v, 0)
	if len(parts) == 0 {
		return t
	}
	return strings.Join(parts, "\n")
}

// jsonOutcome is everything readJSON decides, for comparison.
type jsonOutcome struct {
	body                              string
	code, command, response, provider string
	reply, http                       int
}

func readBoth(t string) (fast, oracle jsonOutcome) {
	run := func(read func(*input, string) string) jsonOutcome {
		in := &input{}
		body := read(in, t)
		return jsonOutcome{body, in.jsonCode, in.jsonCommand, in.jsonResponse, in.jsonProvider, in.reply, in.httpStatus}
	}
	return run((*input).readJSON), run((*input).readJSONOracle)
}

// jsonSamples are tricky documents beside the JSON inputs of the test tables.
var jsonSamples = []string{
	`{"message":"a"}`, `{"message":"a","message":"b"}`, `[{"code":"EENVELOPE","response":"550 x"},{"code":"X"}]`,
	`{"message":"\u00e4\ud83d\ude00\ud83d x\udc00 \u0041"}`, `{"message":"\xff\xfe ok \xed\xa0\x80"}`,
	`{"responseCode":4.21e2,"code":550.9,"status":-1}`, `{"statusCode":1e400}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`,
	`{"message":"tab	inside"}`, `{"message":"x"} trailing`, `{"message":"x"}  `, ` [ ] `, `{}`, `[[[[[[[[{"message":"deep"}]]]]]]]]`,
	`{"delivery-status":{"message":"m","code":421,"description":"d"},"event":"failed","severity":"temporary"}`,
	`{"errors":[{"message":"one"},{"message":"two"}],"message":"top"}`, `{"message":true,"error":null,"Error":{"Message":"n"}}`,
	`{"mess\u0061ge":"escaped key"}`, `{"message":"\x"}`, `{"message":"\u12"}`, `{"message":"unterminated`, `[1,2,]`, `{"a":1,}`,
	`HTTP 400 {"message":"Domain is not allowed to send"}`, `HTTP/1.1 429 {"errors":[{"message":"rate"}]}`, `{"message":"a"}{"message":"b"}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
}

// TestReadJSONOracle: the fast reader decides exactly as the encoding/json
// one on every text of the test tables and on the samples above.
func TestReadJSONOracle(t *testing.T) {
	texts := append(goldenTexts(t), jsonSamples...)
	n := 0
	for _, text := range texts {
		t0 := strings.TrimSpace(text)
		if t0 == "" || (t0[0] != '{' && t0[0] != '[' && httpPrefix(t0) == 0) {
			continue
		}
		n++
		fast, oracle := readBoth(t0)
		if fast != oracle {
			t.Errorf("%.80q:\n fast   %+v\n oracle %+v", t0, fast, oracle)
		}
	}
	if n < 100 {
		t.Fatalf("only %d JSON texts compared", n)
	}
}

// TestJSONKeyIndex: walkJSON reads each name of jsonKeys once, where the
// oracle reads the list, so the list must not repeat a name; the index
// holds every name of both lists at its place.
func TestJSONKeyIndex(t *testing.T) {
	for i, k := range jsonKeys {
		if info, ok := jsonKeyIndex.lookup(k); !ok || int(info.key) != i {
			t.Errorf("jsonKeys[%d] %q: index has %+v", i, k, info)
		}
	}
	for i, h := range jsonProviderKeys {
		if info, ok := jsonKeyIndex.lookup(h.key); !ok || int(info.provider) > i || jsonProviderKeys[info.provider].key != h.key {
			t.Errorf("jsonProviderKeys[%d] %q: index has %+v", i, h.key, info)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, oracle := readBoth(s)
		if fast != oracle {
			t.Errorf("%q:\n fast   %+v\n oracle %+v", s, fast, oracle)
		}
	})
}

// BenchmarkReadJSON compares the reader with the encoding/json one on the
// JSON texts of the benchmark set.
func BenchmarkReadJSON(b *testing.B) {
	var texts []string
	for _, t := range loadBenchErrors(b) {
		if t0 := strings.TrimSpace(t); t0 != "" && (t0[0] == '{' || t0[0] == '[') {
			texts = append(texts, t0)
		}
	}
	for _, c := range []struct {
		name string
		read func(*input, string) string
	}{{"parseJSON", (*input).readJSON}, {"encoding-json", (*input).readJSONOracle}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var in input
				c.read(&in, texts[i%len(texts)])
			}
		})
	}
}
