package rules

import (
	"fmt"
	"strings"
	"testing"
)

// TestDateText: text compared with a date must be a YYYY-MM-DD date,
// since dates compare as text ("2027-10-01" < "2027-3-01").
func TestDateText(t *testing.T) {
	tests := []struct {
		src  string
		want string // the error's line:column and text, or "" when the rule compiles
	}{
		{`txn.date >= "2027-03-01"`, ""},
		{`txn.date >= "2027-3-01"`, `1:12 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-01" would not follow the calendar: write "2027-03-01"`},
		{`txn.date < "2027/03/01"`, `1:11 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027/03/01" would not follow the calendar: write "2027-03-01"`},
		{`"2027.3.1" <= txn.date`, `1:0 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027.3.1" would not follow the calendar: write "2027-03-01"`},
		{`txn.date == "2027-02-29"`, `1:12 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-02-29" would not follow the calendar: 2027-02-29 is not a day of the calendar`},
		{`txn.date == "2028-02-29"`, ""},
		{`txn.date != "03/01/2027"`, `1:12 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "03/01/2027" would not follow the calendar: write a date as YYYY-MM-DD, such as "2027-03-01"`},
		{`txn.date > " 2027-03-01"`, `1:11 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with " 2027-03-01" would not follow the calendar: write "2027-03-01"`},
		{`txn.date == ""`, `1:12 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "" would not follow the calendar: write a date as YYYY-MM-DD`},
		{`txn.date in ["2027-03-01", "2027-3-2"]`, `1:27 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-2" would not follow the calendar: write "2027-03-02"`},
		{`txn.date not in ["2027-3-2"]`, `1:17 txn.date is a date and compares as YYYY-MM-DD text`},
		{`txn.attrs.signed_on < "2027-3-1"`, `1:22 txn.attrs.signed_on is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-1" would not follow the calendar: write "2027-03-01"`},
		{`txn.attrs["signed_on"] < "2027-3-1"`, `1:25 txn.attrs.signed_on is a date`},
		{`txn.date >= (txn.amount > 0 ? "2027-01-01" : "2027-1-1")`, `1:45 txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-1-1"`},
		// Not dates, or not compared: left alone.
		{`txn.attrs.channel == "2027-3-1"`, ""},
		{`txn.type == "2027-3-1"`, ""},
		{`txn.date startsWith "2027-03"`, ""},
		{`txn.date contains "-3-"`, ""},
		{`txn.date >= txn.attrs.signed_on`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Compile(tt.src, TxnEnv{}, KindBool, nil, WithAttributes(testAttrs))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			es, ok := err.(Errors)
			if !ok || len(es) != 1 {
				t.Fatalf("Compile: got %v (%T), want one error", err, err)
			}
			got := fmt.Sprintf("%d:%d %s", es[0].Line, es[0].Column, es[0].Message)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	// period.start and period.end are dates too.
	_, err := Compile(`period.start >= "2027-4-01" && period.end < "2027-06-30"`, PersonEnv{}, KindBool, nil)
	if err == nil || !strings.Contains(err.Error(), `period.start is a date and compares as YYYY-MM-DD text, so comparing it with "2027-4-01"`) || strings.Contains(err.Error(), "period.end") {
		t.Errorf("period.start: got %v", err)
	}
}
