package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		hash, password string
		want           bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterY", false},
		{h, "", false},
		{"$2a$10$bcrypt", "correct horse battery", false},
		{strings.Replace(h, "t=2", "t=99", 1), "correct horse battery", false},
		{"", "", false},
	}
	for i, tt := range tests {
		if got := CheckPassword(tt.hash, tt.password); got != tt.want {
			t.Errorf("%d: CheckPassword = %v, want %v", i, got, tt.want)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password was hashed")
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter()
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < MaxFailures; i++ {
		if !l.attempt(t0.Add(time.Duration(i)*time.Minute), "email:a", "ip:1") {
			t.Fatalf("refused after %d attempts", i)
		}
	}
	later := t0.Add(5 * time.Minute)
	if l.attempt(later, "email:a", "ip:3") {
		t.Error("allowed after MaxFailures attempts of the account")
	}
	// An address shared by many people (a proxy, an office) allows more.
	for i := MaxFailures; i < MaxFailuresPerIP; i++ {
		if !l.attempt(later, fmt.Sprintf("email:other-%d", i), "ip:1") {
			t.Fatalf("address refused after %d attempts, want %d", i, MaxFailuresPerIP)
		}
	}
	if l.attempt(later, "email:b", "ip:1") {
		t.Error("allowed after MaxFailuresPerIP attempts of the address")
	}
	if len(l.failures["email:a"]) != MaxFailures {
		t.Errorf("a refused attempt was counted: %d attempts kept, want at most %d", len(l.failures["email:a"]), MaxFailures)
	}
	if !l.attempt(later, "email:b", "ip:2") {
		t.Error("another account from another IP refused")
	}
	l.succeeded(later, "email:b", "ip:2")
	if _, ok := l.failures["email:b"]; ok || len(l.failures["ip:2"]) != 0 {
		t.Errorf("a successful sign-in left attempts behind: %v", l.failures)
	}
	if !l.attempt(t0.Add(FailureWindow), "email:a", "ip:1") {
		t.Error("still refused once the oldest attempt left the window")
	}
}

// Parallel wrong passwords cannot all get past the limit (regression:
// the limit was checked before and counted after the slow password check,
// so 40 at once were all checked).
func TestLimiterParallel(t *testing.T) {
	l := newLimiter()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if l.attempt(now, "email:a", "ip:1") { // the account's limit binds first
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != MaxFailures {
		t.Errorf("%d of 40 parallel attempts allowed, want %d", n, MaxFailures)
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if h := HashSecret(a); h == a || len(h) != 64 || h != HashSecret(a) || h == HashSecret(b) {
		t.Fatal("HashSecret")
	}
}
