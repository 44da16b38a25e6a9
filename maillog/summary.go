package maillog

import (
	"sort"
	"strings"
)

// maxKeys bounds the distinct domains and relays a Tally counts, so that
// memory stays constant; further keys are counted under "(other)".
const maxKeys = 10_000

// Count is one line of a tally.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// Tally sums outcomes for a summary: by status, by reason, and the
// failures per recipient domain and per relay. Its zero value is not
// ready; use NewTally.
type Tally struct {
	status  map[Status]int
	reason  map[string]int
	domains map[string]int
	relays  map[string]int
}

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{status: map[Status]int{}, reason: map[string]int{}, domains: map[string]int{}, relays: map[string]int{}}
}

// Add counts one outcome. Reasons are counted for failures that carry a
// diagnosis; domains and relays for failures only.
func (t *Tally) Add(o *Outcome) {
	t.status[o.Status]++
	if !o.Status.Failed() {
		return
	}
	if o.Diagnosis != nil {
		t.reason[o.Diagnosis.Reason]++
	}
	if i := strings.LastIndexByte(o.Recipient, '@'); i >= 0 && i+1 < len(o.Recipient) {
		bump(t.domains, strings.ToLower(o.Recipient[i+1:]))
	}
	relay := o.RelayHost
	if relay == "" {
		relay = o.RelayIP
	}
	if relay != "" {
		bump(t.relays, strings.ToLower(relay))
	}
}

func bump(m map[string]int, k string) {
	if _, ok := m[k]; !ok && len(m) >= maxKeys {
		k = "(other)"
	}
	m[k]++
}

// Statuses returns the counts per status in a fixed order: bounced,
// deferred, expired, rejected, sent; zero counts are left out.
func (t *Tally) Statuses() []Count {
	var out []Count
	for _, s := range []Status{StatusBounced, StatusDeferred, StatusExpired, StatusRejected, StatusSent} {
		if n := t.status[s]; n > 0 {
			out = append(out, Count{string(s), n})
		}
	}
	return out
}

// Reasons returns the failures per reason, most first (ties by name).
func (t *Tally) Reasons() []Count { return top(t.reason, 0) }

// TopDomains returns the n recipient domains with the most failures.
func (t *Tally) TopDomains(n int) []Count { return top(t.domains, n) }

// TopRelays returns the n relays (remote hosts) with the most failures.
func (t *Tally) TopRelays(n int) []Count { return top(t.relays, n) }

// top sorts a counter, most first then by key; n <= 0 means all.
func top(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
