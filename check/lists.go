package check

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"strings"
	"sync"
)

// The shipped lists; sources and licences in data/README.md.
//
//go:embed data/disposable.txt.gz data/free.txt data/role.txt
var dataFS embed.FS

type set map[string]struct{}

func readSet(name string) set {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		panic("check: embedded list missing: " + name) // cannot happen: embedded at build time
	}
	var r io.Reader = bytes.NewReader(b)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			panic("check: embedded list corrupt: " + name)
		}
		r = zr
	}
	s := set{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && l[0] != '#' {
			s[l] = struct{}{}
		}
	}
	return s
}

var (
	disposableSet = sync.OnceValue(func() set { return readSet("data/disposable.txt.gz") })
	freeSet       = sync.OnceValue(func() set { return readSet("data/free.txt") })
	roleSet       = sync.OnceValue(func() set { return readSet("data/role.txt") })
)

// IsDisposable reports whether the ASCII domain d or one of its parent
// domains is on the shipped disposable-domain list.
func IsDisposable(d string) bool {
	s := disposableSet()
	for {
		if _, ok := s[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 || strings.IndexByte(d[i+1:], '.') < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// IsFree reports whether d is a free-mail provider on the shipped list
// (and not on the disposable list).
func IsFree(d string) bool {
	_, ok := freeSet()[d]
	return ok && !IsDisposable(d)
}

// IsRole reports whether the local part names a role (info, admin, sales,
// ...) rather than a person; a "+tag" is ignored.
func IsRole(local string) bool {
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	_, ok := roleSet()[strings.ToLower(local)]
	return ok
}

// commonDomains are candidates for typo suggestions, in priority order
// (ties go to the earlier one).
var commonDomains = []string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "live.com", "msn.com",
	"googlemail.com", "me.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com", "web.de", "t-online.de",
	"freenet.de", "posteo.de", "mailbox.org", "yahoo.de", "hotmail.de", "outlook.de", "yahoo.co.uk",
	"hotmail.co.uk", "btinternet.com", "comcast.net", "verizon.net", "att.net", "protonmail.com", "proton.me",
	"ymail.com", "mail.ru", "yandex.ru", "orange.fr", "free.fr", "libero.it", "bluewin.ch", "arcor.de", "zoho.com",
}

var commonSet = func() set {
	s := set{}
	for _, d := range commonDomains {
		s[d] = struct{}{}
	}
	return s
}()

// tldTypos maps frequent mistypings of a top-level domain.
var tldTypos = map[string]string{
	"con": "com", "cmo": "com", "cpm": "com", "ocm": "com", "vom": "com", "xom": "com", "comm": "com",
	"coom": "com", "cim": "com", "colm": "com", "nte": "net", "ent": "net", "nett": "net", "ner": "net",
	"ogr": "org", "rog": "org", "orgg": "org",
}

// SuggestDomain returns a likely intended domain for a mistyped one
// (gmial.com → gmail.com, example.con → example.com), "" when none. It
// compares with a list of common mail domains by optimal string alignment
// distance (≤1 for domains of up to 6 characters, ≤2 above) and fixes a
// short list of misspelled top-level domains.
func SuggestDomain(d string) string {
	if _, ok := commonSet[d]; ok {
		return ""
	}
	limit := 2
	if len(d) <= 6 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, c := range commonDomains {
		if abs(len(c)-len(d)) > limit {
			continue
		}
		if n := osaDistance(d, c, bestD); n < bestD {
			best, bestD = c, n
		}
	}
	if best != "" {
		return best
	}
	if i := strings.LastIndexByte(d, '.'); i > 0 {
		if t, ok := tldTypos[d[i+1:]]; ok {
			return d[:i+1] + t
		}
	}
	return ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// osaDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions) of two ASCII strings; it returns early with a
// value ≥ bound once the distance cannot be below bound.
func osaDistance(a, b string, bound int) int {
	var buf [3][64]int
	if len(b) >= 64 || len(a) >= 64 {
		return bound
	}
	prev2, prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
