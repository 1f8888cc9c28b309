package cli

import (
	"strings"
	"testing"
)

// holdPlan pays 10% of each deal, held until the customer pays.
const holdPlan = `kind: comp_plan
name: hold-ae
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "AE"
attributes:
  transaction:
    paid_on: date
credit:
  - name: owner
    to: owner
components:
  - name: commission
    earning_code: COMM
    type: per_credit
    amount: credit.amount * 0.10
hold:
  until: paid_on
`

// TestHoldEndToEnd: a deal imported without a payment is paid and held in
// 2027-Q1, which is then closed; the deal imported again with its payment
// date in Q2 is released in Q2 (the closed Q1, run again, pays the
// same), the statements show both, and payroll exports the release.
func TestHoldEndToEnd(t *testing.T) {
	t.Parallel()
	db, write, do := scratchWorkspace(t)
	const header = "id,date,type,owner,territory,product,amount,currency,attr.paid_on\n"
	do("import", "people", "testdata/statement/people.csv")
	do("import", "transactions", write("q1.csv", header+
		"T-1,2027-01-05,new,ae-1,west,core,20000.00,USD,2027-02-01\n"+
		"T-2,2027-03-10,new,ae-1,west,core,50000.00,USD,\n"+
		"T-3,2027-03-20,new,ae-1,west,core,10000.00,USD,\n"))
	do("plan", "publish", write("plan.yaml", holdPlan))
	do("run", "--period", "2027-Q1")
	do("period", "approve", "2027-Q1", "--by", "payroll-lead")
	do("period", "close", "2027-Q1", "--by", "cfo")

	q1 := do("statement", "--person", "ae-1", "--period", "2027-Q1").out
	for _, want := range []string{
		"commission [COMM]: 8000.00 USD",
		"hold/commission [COMM]: -6000.00 USD",
		"deal T-2 of 2027-03-10 earned 5000 (credited 50000); no payment recorded by 2027-03-31: held until the payment arrives: -5000",
	} {
		if !strings.Contains(q1, want) {
			t.Errorf("Q1 statement does not show %q:\n%s", want, q1)
		}
	}

	// The customer pays T-2 in Q2: the deal is imported again with the date.
	do("import", "transactions", write("paid.csv", header+"T-2,2027-03-10,new,ae-1,west,core,50000.00,USD,2027-04-20\n"))
	// Q1 run again holds the deal as before (paid after Q1's end): its
	// payout lines do not change (only the credit summary's hash of the
	// deal's version does).
	do("run", "--period", "2027-Q1")
	do("run", "--period", "2027-Q2")
	q2 := do("statement", "--person", "ae-1", "--period", "2027-Q2").out
	for _, want := range []string{
		"release/commission [COMM]: 5000.00 USD",
		"deal T-2 of 2027-03-10 earned 5000; held in 2027-Q1; paid on 2027-04-20: released: 5000",
	} {
		if !strings.Contains(q2, want) {
			t.Errorf("Q2 statement does not show %q:\n%s", want, q2)
		}
	}
	if strings.Contains(q2, "prior period") {
		t.Errorf("Q2 statement shows a prior-period adjustment:\n%s", q2)
	}
	// Hold and release lines explain, and recompute to what was posted.
	for line, want := range map[string][]string{
		"hold-ae/2027-Q1/ae-1/hold/commission":    {"deal T-2 of 2027-03-10", "posted -6000.00 USD", ", the same\n"},
		"hold-ae/2027-Q2/ae-1/release/commission": {"held in 2027-Q1; paid on 2027-04-20: released", "posted 5000.00 USD", ", the same\n"},
	} {
		x := do("explain", line).out
		for _, w := range want {
			if !strings.Contains(x, w) {
				t.Errorf("explain %s lacks %q:\n%s", line, w, x)
			}
		}
	}
	do("period", "approve", "2027-Q2", "--by", "payroll-lead")
	csvText := do("export", "payroll", "--period", "2027-Q2").out
	if !strings.Contains(csvText, "5000.00") || !strings.Contains(csvText, "COMM") {
		t.Errorf("Q2 payroll does not pay the release:\n%s", csvText)
	}

	// T-3 was paid for in Q2 too, but the payment is imported after Q2
	// closed: Q2 run again releases it, and the release posts into Q3 as
	// a prior-period adjustment.
	do("period", "close", "2027-Q2", "--by", "cfo")
	do("run", "--period", "2027-Q3") // Q3 calculated before the late payment arrives
	imp := do("import", "transactions", write("late.csv", header+"T-3,2027-03-20,new,ae-1,west,core,10000.00,USD,2027-06-15\n"))
	// The payment date falls in the closed Q2: the import says so, and
	// marks Q3 (where a re-run of Q2 posts) so that it is not approved
	// before Q2 is run again.
	if !strings.Contains(imp.errOut, "warning: 2027-Q2 is closed and the import changed deals or payment dates in it: run it (icomp run --period 2027-Q2)") {
		t.Errorf("the late payment's import does not warn about the closed 2027-Q2:\n%s", imp)
	}
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q3", "--by", "payroll-lead"); r.code == ExitOK || !strings.Contains(r.String(), "2027-Q2 (closed): a transaction import changed deals or payment dates on 2027-06-15; run 2027-Q2") {
		t.Errorf("approving 2027-Q3 before 2027-Q2 is run again: %s", r)
	}
	do("run", "--period", "2027-Q2")
	do("run", "--period", "2027-Q3")
	q3 := do("statement", "--person", "ae-1", "--period", "2027-Q3").out
	if !strings.Contains(q3, "prior period 2027-Q2") || !strings.Contains(q3, "release/commission: prior-period adjustment: corrects 2027-Q2 (closed)") {
		t.Errorf("Q3 statement does not show the late release:\n%s", q3)
	}
}

// TestHoldLatePaymentMarksPeriod: a payment date imported after the
// period it falls in was calculated and approved sends that period back
// to calculated, needing a re-run (payroll cannot export it without the
// release); the re-run releases the deal. Regression test: the import
// used to change nothing, and the release was never paid.
func TestHoldLatePaymentMarksPeriod(t *testing.T) {
	t.Parallel()
	db, write, do := scratchWorkspace(t)
	const header = "id,date,type,owner,territory,product,amount,currency,attr.paid_on\n"
	do("import", "people", "testdata/statement/people.csv")
	q1 := write("q1.csv", header+"T-2,2027-03-10,new,ae-1,west,core,50000.00,USD,\n")
	do("import", "transactions", q1)
	do("plan", "publish", write("plan.yaml", holdPlan))
	do("run", "--period", "2027-Q1")
	do("run", "--period", "2027-Q2")
	do("period", "approve", "2027-Q2", "--by", "payroll-lead")

	// Re-importing the same file changes nothing and marks nothing.
	if imp := do("import", "transactions", q1); strings.Contains(imp.errOut, "re-run") {
		t.Errorf("an unchanged import marks periods:\n%s", imp)
	}
	imp := do("import", "transactions", write("paid.csv", header+"T-2,2027-03-10,new,ae-1,west,core,50000.00,USD,2027-05-02\n"))
	for _, want := range []string{
		"2027-Q1 needs a re-run: the import changed deals or payment dates in it",
		"2027-Q2 needs a re-run: the import changed deals or payment dates in it",
	} {
		if !strings.Contains(imp.errOut, want) {
			t.Errorf("the payment's import does not say %q:\n%s", want, imp)
		}
	}
	list := do("period", "list").out
	if !strings.Contains(list, "a transaction import changed deals or payment dates on 2027-05-02") {
		t.Errorf("period list does not show why 2027-Q2 needs a re-run:\n%s", list)
	}
	if r := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); r.code == ExitOK {
		t.Fatalf("payroll exported 2027-Q2 without the release:\n%s", r)
	}
	do("run", "--period", "2027-Q2")
	q2 := do("statement", "--person", "ae-1", "--period", "2027-Q2").out
	if !strings.Contains(q2, "release/commission [COMM]: 5000.00 USD") {
		t.Errorf("Q2 run again does not release the deal:\n%s", q2)
	}
}
