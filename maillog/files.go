package maillog

import (
	"sort"
	"strconv"
	"strings"
)

// SortFiles orders log files oldest first, the way logrotate names them:
// for each log (mail.log), the numbered rotations with the highest number
// first (mail.log.3.gz, mail.log.2.gz, mail.log.1), then date-suffixed
// ones in date order (mail.log-20240105.gz), then the live file. Logs with
// different names keep the order of their first appearance, and "-"
// (stdin) keeps its place among them. The input is not modified.
func SortFiles(paths []string) []string {
	type key struct {
		group, class int
		n            int
		date         string
		pos          int
	}
	groups := map[string]int{}
	keys := make([]key, len(paths))
	for i, p := range paths {
		base, class, n, date := rotation(p)
		if p == "-" {
			base = "-" + strconv.Itoa(i)
		}
		g, ok := groups[base]
		if !ok {
			g = len(groups)
			groups[base] = g
		}
		keys[i] = key{group: g, class: class, n: n, date: date, pos: i}
	}
	idx := make([]int, len(paths))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		switch {
		case ka.group != kb.group:
			return ka.group < kb.group
		case ka.class != kb.class:
			return ka.class < kb.class
		case ka.n != kb.n:
			return ka.n > kb.n
		case ka.date != kb.date:
			return ka.date < kb.date
		}
		return ka.pos < kb.pos
	})
	out := make([]string, len(paths))
	for i, j := range idx {
		out[i] = paths[j]
	}
	return out
}

// rotation splits a path into the log it belongs to and its place:
// class 0 numbered (n), 1 dated (date), 2 live.
func rotation(p string) (base string, class, n int, date string) {
	name := strings.TrimSuffix(p, ".gz")
	if i := strings.LastIndexByte(name, '.'); i > 0 && allDigits(name[i+1:]) && len(name)-i-1 <= 4 {
		n, _ = strconv.Atoi(name[i+1:])
		return name[:i], 0, n, ""
	}
	if i := strings.LastIndexByte(name, '-'); i > 0 && allDigits(name[i+1:]) && len(name)-i-1 >= 8 {
		return name[:i], 1, 0, name[i+1:]
	}
	return name, 2, 0, ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
