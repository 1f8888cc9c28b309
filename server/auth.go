package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's password storage cheat sheet's first
// choice (19 MiB, 2 passes, 1 lane). Memory-hard, so a stolen database
// is expensive to guess against on GPUs; unlike bcrypt it does not cut
// passwords at 72 bytes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLen is the shortest password users add accepts.
const MinPasswordLen = 12

// HashPassword returns the argon2id PHC string of password, with a new
// random salt.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("the password is %d characters; it needs at least %d", len(password), MinPasswordLen)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when the email is unknown, so that a
// wrong email takes as long as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("not a password of anyone")
	if err != nil {
		panic(err)
	}
	return h
}()

// CheckPassword reports whether password matches the PHC string hash,
// comparing in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// NewSecret returns 32 random bytes, URL-safe base64 (a session id, an API
// token or a CSRF token).
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what is stored of a session id or API token: the hex
// SHA-256. The secrets are 256 random bits, so no salt or stretching is
// needed.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// equal compares two strings in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Sign-in rate limit: after MaxFailures failed sign-ins within Window for
// one email, or MaxFailuresPerIP from one IP address (many people can sign
// in from behind one proxy or office NAT), further attempts are refused
// with 429 until the oldest failure is older than Window. Kept in memory:
// a restart forgets it, and several server processes each keep their own.
const (
	MaxFailures      = 5
	MaxFailuresPerIP = 30
	FailureWindow    = 15 * time.Minute
)

// limitOf is the number of attempts key may hold.
func limitOf(key string) int {
	if strings.HasPrefix(key, "ip:") {
		return MaxFailuresPerIP
	}
	return MaxFailures
}

// limiter counts sign-in attempts per key ("email:…", "ip:…"). An
// attempt is counted before the password is checked, so that parallel
// attempts cannot all pass the check; a successful sign-in takes its
// attempt back. A key holds at most its limit of times, and the map is
// swept when it grows past limiterSweepAt keys.
type limiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

// limiterSweepAt is the number of keys past which an attempt first drops
// every key whose attempts are all older than the window.
const limiterSweepAt = 100_000

func newLimiter() *limiter { return &limiter{failures: map[string][]time.Time{}} }

// recent drops attempts older than the window and returns the rest.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= FailureWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = fs
	}
	return fs
}

// attempt reports whether every key is under the limit and, if so,
// counts an attempt against each.
func (l *limiter) attempt(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > limiterSweepAt {
		for k := range l.failures {
			l.recent(k, now)
		}
	}
	for _, k := range keys {
		if len(l.recent(k, now)) >= limitOf(k) {
			return false
		}
	}
	for _, k := range keys {
		l.failures[k] = append(l.failures[k], now)
	}
	return true
}

// succeeded takes back the attempt made at now: the account's attempts
// are forgotten, the address's successful attempt no longer counts.
func (l *limiter) succeeded(now time.Time, account, address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, account)
	fs := l.failures[address]
	if i := slices.Index(fs, now); i >= 0 {
		fs = slices.Delete(fs, i, i+1)
	}
	if len(fs) == 0 {
		delete(l.failures, address)
	} else {
		l.failures[address] = fs
	}
}
