package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"sort"
	"strconv"
)

// loadStrings reads the UI strings, one flat JSON object per language under
// i18n/, and checks that both languages have the same, non-empty keys.
func loadStrings(fsys fs.FS) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, lang := range []string{"en", "de"} {
		b, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", lang, err)
		}
		out[lang] = m
	}
	var problems []string
	for _, pair := range [][2]string{{"en", "de"}, {"de", "en"}} {
		for k, v := range out[pair[0]] {
			if v == "" {
				problems = append(problems, fmt.Sprintf("%s: %q is empty", pair[0], k))
			}
			if _, ok := out[pair[1]][k]; !ok {
				problems = append(problems, fmt.Sprintf("%s: %q is missing", pair[1], k))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("i18n: %v", problems)
	}
	return out, nil
}

// pageNames are the page templates; each is parsed together with
// layout.html and partials.html.
var pageNames = []string{"home", "library", "entry", "error", "sends", "suppressions", "stats", "login", "check"}

// parseTemplates parses every page once per language, with the "t" function
// bound to that language's strings.
func parseTemplates(fsys fs.FS, strs map[string]map[string]string) (map[string]map[string]*template.Template, error) {
	out := map[string]map[string]*template.Template{}
	for lang, m := range strs {
		funcs := template.FuncMap{
			// t returns the UI string for key; a missing key shows as
			// itself (the tests make sure none is missing).
			"t": func(key string) string {
				if v, ok := m[key]; ok {
					return v
				}
				return key
			},
			"dur":   func(secs int) string { return duration(secs, m) },
			"list3": func() []int { return []int{7, 30, 90} },
		}
		out[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
			if err != nil {
				return nil, err
			}
			out[lang][name] = t
		}
	}
	return out, nil
}

// duration renders a retry delay: 90 → "90 s", 900 → "15 min", 3600 → "1 h".
func duration(secs int, m map[string]string) string {
	switch {
	case secs >= 86400 && secs%86400 == 0:
		return strconv.Itoa(secs/86400) + " " + m["dur.d"]
	case secs >= 3600 && secs%3600 == 0:
		return strconv.Itoa(secs/3600) + " " + m["dur.h"]
	case secs >= 60 && secs%60 == 0:
		return strconv.Itoa(secs/60) + " " + m["dur.min"]
	}
	return strconv.Itoa(secs) + " " + m["dur.s"]
}
