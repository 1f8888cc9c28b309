package rules

import (
	"reflect"
	"testing"
)

// FuzzCompile compiles any text as a rule over each environment: it must
// not panic, and a rule that compiles must run on the fast path exactly
// as on the VM, within the limits.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`txn.type in ["new", "upsell"] && credit.amount >= 50000`,
		`txn.new_logo == "true" && txn.attrs.x == true`,
		`attainment >= 0.5`,
		`let x = 10 * 10; let y = x * x * x * x; y > 0`,
		`let s = "aa"; let s2 = s + s; s2 == ""`,
		`all(1..3, all(1..3, # > 0))`,
		`any(["ent", "core"], txn.product startsWith #)`,
		`round(measure.bookings / target.bookings, 2) * payout["new-logo"]`,
		`person.attrs["plan-year"] == "2027" ? clamp(credit.amount, 0, 500) : -credit.share`,
		`"channel" in txn.attrs || period.label >= "2027-Q2"`,
	} {
		f.Add(seed)
	}
	var cenv CreditEnv
	var compEnv ComponentEnv
	var n int64
	fill(reflect.ValueOf(&cenv).Elem(), &n)
	fill(reflect.ValueOf(&compEnv).Elem(), &n)
	envs := []any{&cenv, &compEnv}
	f.Fuzz(func(t *testing.T, src string) {
		for _, env := range envs {
			zero := reflect.Zero(reflect.TypeOf(env).Elem()).Interface()
			for _, kind := range []Kind{KindBool, KindDecimal} {
				p, err := Compile(src, zero, kind, nil)
				if err != nil {
					continue
				}
				sameAsVM(t, p, env)
			}
		}
	})
}
