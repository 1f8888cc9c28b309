package reports

import (
	"strings"
	"testing"
)

func TestParseLineRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want LineRef
		err  string
	}{
		{in: "ae-quarterly/2027-Q1/ae-1/commission", want: LineRef{"ae-quarterly", "2027-Q1", "ae-1", "commission"}},
		{in: "p/2027-M01/emea/ae-7/spiff", want: LineRef{"p", "2027-M01", "emea/ae-7", "spiff"}},
		{in: "claw-ae/2027-Q2/ae-1/clawback/commission", want: LineRef{"claw-ae", "2027-Q2", "ae-1", "clawback/commission"}},
		{in: "hold-ae/2027-Q1/ae-1/hold/commission", want: LineRef{"hold-ae", "2027-Q1", "ae-1", "hold/commission"}},
		{in: "hold-ae/2027-Q2/ae-1/release/commission", want: LineRef{"hold-ae", "2027-Q2", "ae-1", "release/commission"}},
		{in: "ae-quarterly/2027-Q1/ae-1", err: "want PLAN/PERIOD/PERSON/COMPONENT"},
		{in: "ae-quarterly//ae-1/commission", err: "must all be given"},
		{in: "", err: "want PLAN/PERIOD/PERSON/COMPONENT"},
	} {
		got, err := ParseLineRef(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLineRef(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLineRef(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}
