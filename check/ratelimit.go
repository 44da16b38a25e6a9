package check

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimit configures the per-client token bucket of the check handler.
// A request costs one token; every probed address costs ProbeCost more.
type RateLimit struct {
	Rate       float64 // tokens added per second (default 1)
	Burst      int     // bucket size (default 20)
	ProbeCost  int     // extra tokens per probed address (default 5)
	MaxClients int     // clients tracked at once (default 10,000)
}

func (r *RateLimit) defaults() {
	if r.Rate <= 0 {
		r.Rate = 1
	}
	if r.Burst <= 0 {
		r.Burst = 20
	}
	if r.ProbeCost <= 0 {
		r.ProbeCost = 5
	}
	if r.MaxClients <= 0 {
		r.MaxClients = 10_000
	}
}

// limiter is a token bucket per client key with a bounded map: when full,
// buckets that have refilled completely (the same as a new client) are
// dropped; if none has, new clients are refused until some refill.
type limiter struct {
	cfg     RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	cfg.defaults()
	return &limiter{cfg: cfg, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes cost tokens from key's bucket. It returns false and the
// wait until enough tokens are there when the bucket is too empty.
func (l *limiter) allow(key string, cost int) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.cfg.MaxClients {
			l.sweep(now)
			if len(l.buckets) >= l.cfg.MaxClients {
				return false, time.Duration(float64(time.Second) / l.cfg.Rate)
			}
		}
		b = &bucket{tokens: float64(l.cfg.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.cfg.Burst), b.tokens+now.Sub(b.last).Seconds()*l.cfg.Rate)
	b.last = now
	if c := float64(cost); b.tokens >= c {
		b.tokens -= c
		return true, 0
	} else if c > float64(l.cfg.Burst) {
		return false, time.Duration(float64(l.cfg.Burst) / l.cfg.Rate * float64(time.Second))
	} else {
		return false, time.Duration((c - b.tokens) / l.cfg.Rate * float64(time.Second))
	}
}

// sweep drops buckets that are full again.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.cfg.Rate >= float64(l.cfg.Burst) {
			delete(l.buckets, k)
		}
	}
}

// clientKey is the rate-limit key of an IP: the address for IPv4, the /64
// for IPv6 (one host usually owns a whole /64).
func clientKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
