package dsn

import "strings"

// appendAddrMatches appends to out the matches of addrRE in s
// (addrRE.FindAllStringIndex(s, limit), limit < 0 for all), each offset
// by base, found without the regexp engine.
//
// What leftmost-first matching of addrRE amounts to: the local part is
// the run of up to 64 local-part characters right before an '@' (it
// cannot hold one), as long as possible; then the domain is a chain of
// dot-terminated labels (a label is a whole run of letters, digits and
// '-', 1 to 64 long, not starting or ending with '-') and a top-level
// domain of 2 to 24 letters at the start of the segment after a label's
// dot. The greedy repetition takes the last such place in the chain, the
// top-level domain as many letters as it can. An '@' whose domain does
// not match yields no match: the search goes on at the next one.
func appendAddrMatches(out [][]int, s string, base, limit int) [][]int {
	e := 0 // where the next match may start
	for from := 0; limit < 0 || limit > 0; {
		i := strings.IndexByte(s[from:], '@')
		if i < 0 {
			break
		}
		at := from + i
		from = at + 1
		p := at
		for p > e && p > at-64 && localChar[s[p-1]] {
			p--
		}
		if p == at {
			continue
		}
		end := domainEnd(s, at+1)
		if end < 0 {
			continue
		}
		out = append(out, []int{base + p, base + end})
		e = end
		from = end
		if limit > 0 {
			limit--
		}
	}
	return out
}

// domainEnd returns where the domain of addrRE that starts at s[d:] ends,
// or -1 when none does.
func domainEnd(s string, d int) int {
	end := -1
	for i := d; ; {
		j := i
		for j < len(s) && labelChar[s[j]] {
			j++
		}
		if j-i < 1 || j-i > 64 || s[i] == '-' || s[j-1] == '-' || j >= len(s) || s[j] != '.' {
			return end
		}
		// A label and its dot: a top-level domain may follow.
		k := j + 1
		for k < len(s) && k < j+1+24 && isLetter(s[k]) {
			k++
		}
		if k-(j+1) >= 2 {
			end = k
		}
		i = j + 1
	}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// localChar and labelChar are the classes of addrRE's local part and of
// its domain labels.
var localChar, labelChar = func() (l, d [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+=/!#$&'*^{|}~-") {
		l[c] = true
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") {
		d[c] = true
	}
	return
}()
