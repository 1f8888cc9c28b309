package rules

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// exact shows a decimal with its exponent, so that 1.50 and 1.5 differ.
func exact(d decimal.Decimal) string {
	return fmt.Sprintf("%se%d", d.Coefficient(), d.Exponent())
}

// onVM runs p on expr's VM only, for comparison with the fast path.
func onVM(p *Program, env any) (any, error) {
	var m Machine
	return m.run(p, env)
}

// sameAsVM checks that p gives on env exactly what the VM gives: the same
// value (exponent included) or the same error.
func sameAsVM(t interface {
	Helper()
	Fatalf(string, ...any)
}, p *Program, env any) {
	t.Helper()
	want, wantErr := onVM(p, env)
	var m Machine
	var got any
	var err error
	if p.kind == KindBool {
		got, err = p.Bool(&m, env)
	} else {
		got, err = p.Decimal(&m, env)
	}
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("%q: err = %v, VM err = %v", p.Source, err, wantErr)
	case err != nil:
		if err.Error() != wantErr.Error() {
			t.Fatalf("%q: err = %q, VM err = %q", p.Source, err, wantErr)
		}
	case p.kind == KindBool:
		if got != want {
			t.Fatalf("%q = %v, VM gives %v", p.Source, got, want)
		}
	default:
		if exact(got.(decimal.Decimal)) != exact(want.(decimal.Decimal)) {
			t.Fatalf("%q = %s, VM gives %s", p.Source, exact(got.(decimal.Decimal)), exact(want.(decimal.Decimal)))
		}
	}
}

var fastCreditEnvs = []CreditEnv{
	{
		Txn:    Txn{ID: "T1", Date: "2027-02-03", Type: "new", Product: "core", Amount: decimal.RequireFromString("1250.50"), Attrs: map[string]string{"channel": "partner"}},
		Credit: Credit{Amount: decimal.RequireFromString("750.30"), Rule: "team", Share: decimal.RequireFromString("0.6")},
		Person: Person{ID: "ae-1", Role: "AE", Territory: "west"},
	},
	{
		Txn:    Txn{ID: "T2", Date: "2027-03-31", Type: "refund", Product: "enterprise", Amount: decimal.RequireFromString("-99.99")},
		Credit: Credit{Amount: decimal.RequireFromString("-99.99"), Rule: "direct", Share: decimal.NewFromInt(1)},
		Person: Person{ID: "ae-2", Role: "SE"},
	},
	{}, // zero values everywhere, nil maps
}

// TestFastPathMatchesVM runs rules of every shape the fast path takes,
// and some it leaves to the VM, both ways.
func TestFastPathMatchesVM(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		kind Kind
		fast bool
	}{
		{`txn.type in ["new", "upsell", "refund"]`, KindBool, true},
		{`txn.type not in ["new", "upsell"]`, KindBool, true},
		{`txn.type == "new" && credit.amount >= 500`, KindBool, true},
		{`txn.type == "new" and credit.amount >= 500 or person.role != "AE"`, KindBool, true},
		{`!(txn.product == "enterprise")`, KindBool, true},
		{`not (txn.product == "enterprise")`, KindBool, true},
		{`txn.date >= "2027-03-01" && txn.date < "2027-04-01"`, KindBool, true},
		{`txn.attrs.channel == "partner"`, KindBool, true},
		{`txn.attrs["channel"] == "partner"`, KindBool, true},
		{`txn.product startsWith "ent" || txn.product endsWith "re" || txn.id contains "2"`, KindBool, true},
		{`credit.share == 0.6 ? credit.amount > 0 : credit.amount < 0`, KindBool, true},
		{`true`, KindBool, true},
		{`(credit.amount > 0) == (txn.amount > 0)`, KindBool, true},
		{`0.1 + 0.2 == 0.3`, KindBool, true},
		{`credit.amount / credit.share > 1000`, KindBool, true},
		{`upper(txn.type) == "NEW"`, KindBool, false},
		{`250 * credit.share`, KindDecimal, true},
		{`credit.amount * 0.04`, KindDecimal, true},
		{`-credit.amount + 1`, KindDecimal, true},
		{`credit.amount / 3`, KindDecimal, true},
		{`credit.amount / (credit.share - 0.6)`, KindDecimal, true},
		{`round(credit.amount / 7, 2)`, KindDecimal, true},
		{`round(credit.amount, credit.share)`, KindDecimal, true},
		{`clamp(credit.amount, 0, 500)`, KindDecimal, true},
		{`clamp(credit.amount, 500, 0)`, KindDecimal, true},
		{`min(credit.amount, 10, txn.amount) + max(credit.amount, 1.00, 1)`, KindDecimal, true},
		{`abs(credit.amount) + floor(credit.amount) + ceil(credit.amount)`, KindDecimal, true},
		{`txn.type == "new" ? credit.amount * 0.1 : credit.amount * 0.05`, KindDecimal, true},
		{`42`, KindDecimal, true},
		{`let x = credit.amount; x * 2`, KindDecimal, false},
		{`any(["new", "upsell"], txn.type == #)`, KindBool, false},
		{`none(["ent", "core"], txn.product startsWith #) ? credit.amount : 0`, KindDecimal, false},
	} {
		p, err := Compile(tc.src, CreditEnv{}, tc.kind, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		if p.Fast() != tc.fast {
			t.Errorf("%q: Fast() = %v, want %v", tc.src, p.Fast(), tc.fast)
		}
		for i := range fastCreditEnvs {
			sameAsVM(t, p, fastCreditEnvs[i])
			sameAsVM(t, p, &fastCreditEnvs[i])
		}
	}
}

func TestFastPathComponentEnv(t *testing.T) {
	t.Parallel()
	envs := []ComponentEnv{
		{
			Measure:    map[string]decimal.Decimal{"bookings": decimal.RequireFromString("312500.00"), "new_logos": decimal.NewFromInt(7)},
			Target:     map[string]decimal.Decimal{"bookings": decimal.NewFromInt(250000)},
			Attainment: map[string]decimal.Decimal{"bookings": decimal.RequireFromString("1.25")},
			Payout:     map[string]decimal.Decimal{"commission": decimal.RequireFromString("27500.00")},
			Person:     Person{Role: "AE"},
		},
		{Measure: map[string]decimal.Decimal{}},
		{},
	}
	for _, src := range []string{
		`attainment.bookings >= 0.5`,
		`measure.new_logos * 100`,
		`measure.missing + 1`,
		`payout.commission * 0.1 + measure["bookings"] / target.bookings`,
		`person.role == "AE" && attainment.bookings > 1`,
	} {
		kind := KindDecimal
		if strings.ContainsAny(src, "<>=") {
			kind = KindBool
		}
		p, err := Compile(src, ComponentEnv{}, kind, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if !p.Fast() {
			t.Errorf("%q does not take the fast path", src)
		}
		for i := range envs {
			sameAsVM(t, p, envs[i])
			sameAsVM(t, p, &envs[i])
		}
	}
}

// TestFastPathOtherEnv checks that a program given an environment of
// another type than it was compiled for runs on the VM.
func TestFastPathOtherEnv(t *testing.T) {
	t.Parallel()
	p, err := Compile(`amount * 2`, testEnv{}, KindDecimal, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Machine
	type otherEnv struct {
		Amount decimal.Decimal `expr:"amount"`
	}
	got, err := p.Decimal(&m, otherEnv{Amount: decimal.NewFromInt(4)})
	if err != nil || !got.Equal(decimal.NewFromInt(8)) {
		t.Errorf("got %v, %v; want 8", got, err)
	}
	var nilEnv *testEnv
	if _, err := p.Decimal(&m, nilEnv); err == nil {
		t.Errorf("nil environment: want an error")
	}
}

// genDecimal draws a decimal rule over CreditEnv, at most depth deep.
func genDecimal(t *rapid.T, depth int) string {
	leaves := []string{"credit.amount", "credit.share", "txn.amount", "0", "1", "0.5", "100", "0.04", "-2.50", "1.000"}
	if depth <= 0 {
		return rapid.SampledFrom(leaves).Draw(t, "leaf")
	}
	sub := func() string { return genDecimal(t, depth-1) }
	switch rapid.IntRange(0, 9).Draw(t, "decimal") {
	case 0, 1:
		return rapid.SampledFrom(leaves).Draw(t, "leaf")
	case 2:
		return fmt.Sprintf("(%s %s %s)", sub(), rapid.SampledFrom([]string{"+", "-", "*", "/"}).Draw(t, "op"), sub())
	case 3:
		return fmt.Sprintf("-(%s)", sub())
	case 4:
		return fmt.Sprintf("%s(%s)", rapid.SampledFrom([]string{"abs", "floor", "ceil"}).Draw(t, "fn"), sub())
	case 5:
		return fmt.Sprintf("round(%s, %s)", sub(), rapid.SampledFrom([]string{"0", "2", "21", "-1", "1.5", "credit.share"}).Draw(t, "places"))
	case 6:
		return fmt.Sprintf("clamp(%s, %s, %s)", sub(), sub(), sub())
	case 7:
		return fmt.Sprintf("%s(%s, %s)", rapid.SampledFrom([]string{"min", "max"}).Draw(t, "fn"), sub(), sub())
	default:
		return fmt.Sprintf("(%s ? %s : %s)", genBool(t, depth-1), sub(), sub())
	}
}

// genBool draws a boolean rule over CreditEnv.
func genBool(t *rapid.T, depth int) string {
	str := []string{"txn.type", "txn.product", "person.role", "txn.attrs.channel", `"new"`, `"AE"`, `""`}
	cmpStr := func() string {
		return fmt.Sprintf("%s %s %s", rapid.SampledFrom(str).Draw(t, "s"), rapid.SampledFrom([]string{"==", "!=", "<", ">="}).Draw(t, "op"), rapid.SampledFrom(str).Draw(t, "s"))
	}
	if depth <= 0 {
		return cmpStr()
	}
	switch rapid.IntRange(0, 6).Draw(t, "bool") {
	case 0:
		return cmpStr()
	case 1:
		return fmt.Sprintf(`%s in ["new", "refund", "AE"]`, rapid.SampledFrom(str).Draw(t, "s"))
	case 2, 3:
		return fmt.Sprintf("(%s %s %s)", genDecimal(t, depth-1), rapid.SampledFrom([]string{"<", "<=", ">", ">=", "==", "!="}).Draw(t, "op"), genDecimal(t, depth-1))
	case 4:
		return fmt.Sprintf("(%s %s %s)", genBool(t, depth-1), rapid.SampledFrom([]string{"&&", "||", "and", "or"}).Draw(t, "op"), genBool(t, depth-1))
	case 5:
		return fmt.Sprintf("!(%s)", genBool(t, depth-1))
	default:
		return fmt.Sprintf("(%s ? %s : %s)", genBool(t, depth-1), genBool(t, depth-1), genBool(t, depth-1))
	}
}

func genCreditEnv(t *rapid.T) CreditEnv {
	dec := func(label string) decimal.Decimal {
		return decimal.New(rapid.Int64Range(-1_000_000, 1_000_000).Draw(t, label), -rapid.Int32Range(0, 4).Draw(t, label+"-places"))
	}
	pick := func(label string) string {
		return rapid.SampledFrom([]string{"new", "refund", "AE", "", "core"}).Draw(t, label)
	}
	env := CreditEnv{
		Txn:    Txn{Type: pick("type"), Product: pick("product"), Amount: dec("txn.amount")},
		Credit: Credit{Amount: dec("credit.amount"), Share: dec("credit.share")},
		Person: Person{Role: pick("role")},
	}
	if rapid.Bool().Draw(t, "attrs") {
		env.Txn.Attrs = map[string]string{"channel": pick("channel")}
	}
	return env
}

// TestFastPathMatchesVMRandom draws rules and environments and checks
// that the fast path gives exactly what the VM gives, errors included.
func TestFastPathMatchesVMRandom(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]Kind{KindDecimal, KindBool}).Draw(t, "kind")
		var src string
		if kind == KindBool {
			src = genBool(t, 3)
		} else {
			src = genDecimal(t, 3)
		}
		p, err := Compile(src, CreditEnv{}, kind, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if !p.Fast() {
			t.Fatalf("%q does not take the fast path", src)
		}
		env := genCreditEnv(t)
		sameAsVM(t, p, &env)
	})
}

// TestDecCmpMatchesCmp checks the int64 comparison against decimal's.
func TestDecCmpMatchesCmp(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		gen := func(label string) decimal.Decimal {
			if rapid.Bool().Draw(t, label+" huge") {
				return decimal.New(rapid.Int64().Draw(t, label), rapid.Int32Range(-30, 30).Draw(t, label+" exp"))
			}
			return decimal.New(rapid.Int64Range(-1e6, 1e6).Draw(t, label), rapid.Int32Range(-6, 6).Draw(t, label+" exp"))
		}
		a, b := gen("a"), gen("b")
		if got, want := decCmp(a, b), a.Cmp(b); got != want {
			t.Fatalf("decCmp(%s, %s) = %d, want %d", exact(a), exact(b), got, want)
		}
		if got, want := decCmp(a, a), 0; got != want {
			t.Fatalf("decCmp(%s, itself) = %d", exact(a), got)
		}
	})
}

// BenchmarkRule compares a typical per-credit filter on the fast path and
// on expr's VM.
func BenchmarkRule(b *testing.B) {
	p, err := Compile(`txn.type == "new" && credit.amount >= 50000`, CreditEnv{}, KindBool, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := &fastCreditEnvs[0]
	var m Machine
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := p.Bool(&m, env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vm", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := m.run(p, env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRuleDecimal is a per-credit amount with arithmetic, which the
// number limits check.
func BenchmarkRuleDecimal(b *testing.B) {
	p, err := Compile(`txn.attrs.channel == "partner" ? credit.amount * 0.04 + 10 : credit.amount * 0.03`, CreditEnv{}, KindDecimal, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := &fastCreditEnvs[0]
	var m Machine
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := p.Decimal(&m, env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vm", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := m.run(p, env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fill sets every field of the struct v points to, through nested
// structs: text to its field name, numbers to distinct values, flags to
// true, maps to one key "k".
func fill(v reflect.Value, n *int64) {
	for i := range v.NumField() {
		f := v.Field(i)
		*n++
		switch {
		case f.Type() == decimalType:
			f.Set(reflect.ValueOf(decimal.New(*n*125, -2)))
		case f.Kind() == reflect.String:
			f.SetString(v.Type().Field(i).Name)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Type() == reflect.TypeOf(map[string]string(nil)):
			f.Set(reflect.ValueOf(map[string]string{"k": fmt.Sprint("v", *n)}))
		case f.Type() == reflect.TypeOf(map[string]decimal.Decimal(nil)):
			f.Set(reflect.ValueOf(map[string]decimal.Decimal{"k": decimal.New(*n, -1)}))
		case f.Kind() == reflect.Struct:
			fill(f, n)
		}
	}
}

// leafPaths lists the paths a rule can read in struct type t, by kind.
func leafPaths(t reflect.Type, prefix string, out map[string]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if strings.HasPrefix(f.Tag.Get("expr"), "#") {
			continue // typed attributes: read through attrs (attrs_test.go)
		}
		p := prefix + f.Tag.Get("expr")
		switch {
		case f.Type == decimalType:
			out[p] = "number"
		case f.Type.Kind() == reflect.String:
			out[p] = "text"
		case f.Type.Kind() == reflect.Bool:
			out[p] = "flag"
		case f.Type == reflect.TypeOf(map[string]string(nil)):
			out[p] = "textMap"
		case f.Type == reflect.TypeOf(map[string]decimal.Decimal(nil)):
			out[p] = "numberMap"
		case f.Type.Kind() == reflect.Struct:
			leafPaths(f.Type, p+".", out)
		default:
			out[p] = "unknown " + f.Type.String()
		}
	}
}

// datePaths lists the paths of the fields of t tagged rules:"date".
func datePaths(t reflect.Type, prefix string, out map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		p := prefix + f.Tag.Get("expr")
		switch {
		case f.Tag.Get("rules") == "date":
			out[p] = true
		case f.Type.Kind() == reflect.Struct && f.Type != decimalType:
			datePaths(f.Type, p+".", out)
		}
	}
}

func tablePaths[E any](f *fields[E]) map[string]string {
	out := map[string]string{}
	defer maps.DeleteFunc(out, func(p, _ string) bool { return strings.Contains(p, ".#") })
	for p := range f.text {
		out[p] = "text"
	}
	for p := range f.number {
		out[p] = "number"
	}
	for p := range f.flag {
		out[p] = "flag"
	}
	for p := range f.textMap {
		out[p] = "textMap"
	}
	for p := range f.numberMap {
		out[p] = "numberMap"
	}
	return out
}

// checkEveryField checks that the accessor table of E has every field a
// rule can read in E, and that a rule reading each one gives on the fast
// path what it gives on the VM.
func checkEveryField[E any](t *testing.T, f *fields[E]) {
	var zero E
	want := map[string]string{}
	leafPaths(reflect.TypeOf(zero), "", want)
	dates := map[string]bool{}
	datePaths(reflect.TypeOf(zero), "", dates)
	got := tablePaths(f)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%T accessors:\n%v\nwant the fields:\n%v", zero, got, want)
	}
	var env E
	var n int64
	fill(reflect.ValueOf(&env).Elem(), &n)
	for p, kind := range got {
		var src string
		k := KindBool
		switch kind {
		case "text":
			src = fmt.Sprintf(`%s == %q || %s >= "M"`, p, p[strings.LastIndex(p, ".")+1:], p)
			if dates[p] {
				// Text compared with a date must be a date (check_dates.go).
				src = fmt.Sprintf(`%s == "2027-01-15" || %s >= "2027-06-01"`, p, p)
			}
		case "number":
			src, k = p+" * 2 - 0.5", KindDecimal
		case "flag":
			src = "!" + p
		case "textMap":
			src = fmt.Sprintf(`%s.k startsWith "v" && %s["missing"] == ""`, p, p)
		case "numberMap":
			src, k = fmt.Sprintf(`%s.k + %s["missing"] / 2`, p, p), KindDecimal
		}
		prog, err := Compile(src, zero, k, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if !prog.Fast() {
			t.Errorf("%q over %T does not take the fast path", src, zero)
		}
		sameAsVM(t, prog, &env)
		sameAsVM(t, prog, env)
		var empty E
		sameAsVM(t, prog, &empty)
	}
}

// TestFastPathEveryField runs every field of every environment both ways.
func TestFastPathEveryField(t *testing.T) {
	t.Parallel()
	checkEveryField(t, personEnvFields)
	checkEveryField(t, txnEnvFields)
	checkEveryField(t, creditEnvFields)
	checkEveryField(t, componentEnvFields)
}

// TestFastPathWrongEnv checks that a program given another environment
// type than it was compiled for, or a nil one, runs on the VM, which
// reports the error.
func TestFastPathWrongEnv(t *testing.T) {
	t.Parallel()
	p, err := Compile(`txn.type == "new"`, CreditEnv{}, KindBool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Fast() {
		t.Fatal("not fast")
	}
	var m Machine
	if got, err := p.Bool(&m, &TxnEnv{Txn: Txn{Type: "new"}}); err != nil || !got {
		t.Errorf("on a TxnEnv: %v, %v; want true from the VM", got, err)
	}
	var nilEnv *CreditEnv
	if _, err := p.Bool(&m, nilEnv); err == nil {
		t.Errorf("nil environment: want an error")
	}
}
