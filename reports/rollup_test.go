package reports

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
)

func TestTraceLinesOverride(t *testing.T) {
	rate := decimal.RequireFromString("0.05")
	tr := engine.Trace{Component: "team_override", Type: "override", Rule: "0.05 × ae commission of reports down 2 level(s) as of 2027-03-31",
		Inputs:   []engine.TraceInput{{Name: "team.ae", Value: decimal.RequireFromString("103000")}},
		Rate:     &rate,
		Team:     []engine.TeamTrace{{Person: "ae-1", Level: 1, Plan: "ae", Component: "commission", Amount: decimal.RequireFromString("60000")}, {Person: "ae-9", Level: 2, Plan: "ae", Component: "commission", Amount: decimal.RequireFromString("43000")}},
		Computed: decimal.RequireFromString("5150"), Rounded: decimal.RequireFromString("5150"), Result: decimal.RequireFromString("5150")}
	got := strings.Join(TraceLines(tr), "\n")
	want := strings.Join([]string{
		"team.ae = 103000",
		"override: 0.05 × ae commission of reports down 2 level(s) as of 2027-03-31",
		"report ae-1 (level 1): ae commission 60000",
		"report ae-9 (level 2): ae commission 43000",
		"rate 0.05",
		"computed 5150",
		"rounded to 5150",
	}, "\n")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
