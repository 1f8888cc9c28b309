package cli

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// benchPlanName is the name of the plan `icomp bench --plan bench`
// publishes.
const benchPlanName = "bench"

// benchPlanYAML is the plan `icomp bench --plan bench` publishes: simple
// enough that benchSQL computes the same payouts in plain SQL. Every
// transaction credits its owner; one measure sums the credits of the
// period; a marginal rate table keyed on the measure's amount pays 5% to
// 50,000, 8% to 150,000 and 10% above, capped at 40,000; a per-deal bonus
// pays 1% of each credited deal over 10,000. benchSQL hard-codes these
// numbers: change both together.
const benchPlanYAML = `kind: comp_plan
name: bench
version: "1"
description: |
  The bench plan: commission on all credited amounts through marginal
  tiers keyed on the amount (5% to 50,000, 8% to 150,000, 10% above),
  capped at 40,000, and a bonus of 1% of each deal over 10,000.
effective:
  from: 2020-01-01
currency: USD
period: quarterly
fiscal_year_start: 1

credit:
  - name: owner
    to: owner

measures:
  - name: credited
    aggregate: sum
    window: period

components:
  - name: commission
    earning_code: COMM
    type: rate_table
    measure: credited
    key: amount
    mode: marginal
    tiers:
      - {from: 0, to: 50000, rate: 0.05}
      - {from: 50000, to: 150000, rate: 0.08}
      - {from: 150000, rate: 0.10}
    cap: 40000
  - name: deal_bonus
    earning_code: BONUS
    type: per_credit
    where: txn.amount > 10000
    amount: credit.amount * 0.01
`

// benchPlanCurrency is the bench plan's currency, whose precision the SQL
// rounds to.
const benchPlanCurrency = "USD"

// benchSQL computes the bench plan's payout per person for period p from
// the transactions in table (icomp's txn, or the plain table the bench
// loads) in plain SQL that runs unchanged on SQLite and Postgres, all in
// integers:
// amounts in minor units (cents), commission and bonus in hundredths of a
// minor unit (every rate is a whole percent), capped, then rounded half
// away from zero to the minor unit per component, as the engine rounds
// each component's amount (money.RoundHalfUp) after its cap.
func benchSQL(table string, p period.Period) string {
	minor := int64(1)
	for range money.MustPrecision(benchPlanCurrency) {
		minor *= 10
	}
	// round turns hundredths of a minor unit into minor units, halves
	// away from zero (integer division truncates toward zero in both).
	round := func(x string) string {
		return fmt.Sprintf("(CASE WHEN %[1]s >= 0 THEN (%[1]s + 50) / 100 ELSE -((50 - %[1]s) / 100) END)", x)
	}
	t1, t2, capAt, dealMin := 50_000*minor, 150_000*minor, 40_000*minor*100, 10_000*minor
	return fmt.Sprintf(`WITH c AS (
	SELECT owner AS person, CAST(ROUND(amount * %[1]d) AS BIGINT) AS units
	FROM %[10]s WHERE date >= '%[2]s' AND date <= '%[3]s'
), m AS (
	SELECT person, CAST(SUM(units) AS BIGINT) AS measure,
		CAST(SUM(CASE WHEN units > %[4]d THEN units ELSE 0 END) AS BIGINT) AS bonus
	FROM c GROUP BY person
), k AS (
	SELECT person, bonus,
		CASE WHEN measure < %[5]d THEN measure * 5
			WHEN measure < %[6]d THEN %[5]d * 5 + (measure - %[5]d) * 8
			ELSE %[5]d * 5 + (%[6]d - %[5]d) * 8 + (measure - %[6]d) * 10 END AS commission
	FROM m
), capped AS (
	SELECT person, bonus, CASE WHEN commission > %[7]d THEN %[7]d ELSE commission END AS commission FROM k
)
SELECT person, %[8]s + %[9]s FROM capped ORDER BY person`,
		minor, p.Start.String(), p.End.String(), dealMin, t1, t2, capAt, round("commission"), round("bonus"), table)
}

// runBenchSQL runs benchSQL on table in st's database and returns each
// person's payout in minor units.
func runBenchSQL(ctx context.Context, st storage.Store, table string, p period.Period) (map[string]int64, error) {
	q := benchSQL(table, p)
	out := map[string]int64{}
	switch s := st.(type) {
	case *sqlitestore.Store:
		rows, err := s.DB.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return out, scanBenchRows(rows, out)
	case *pgstore.Store:
		rows, err := s.Pool.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var person string
			var v int64
			if err := rows.Scan(&person, &v); err != nil {
				return nil, err
			}
			out[person] = v
		}
		return out, rows.Err()
	}
	return nil, fmt.Errorf("hand-written SQL: unsupported backend %s", st.Backend())
}

func scanBenchRows(rows *sql.Rows, out map[string]int64) error {
	for rows.Next() {
		var person string
		var v int64
		if err := rows.Scan(&person, &v); err != nil {
			return err
		}
		out[person] = v
	}
	return rows.Err()
}

// comparePayouts checks the SQL's payouts against the payout lines of the
// bench plan in force for periodLabel, summed per person; a person missing
// on one side counts as 0. It returns the number of people compared, or
// an error naming the first difference (by person).
func comparePayouts(ctx context.Context, st storage.Store, periodLabel string, want map[string]int64) (int, error) {
	lines, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: benchPlanName, Period: periodLabel})
	if err != nil {
		return 0, err
	}
	got := map[string]decimal.Decimal{}
	for _, c := range ledger.Fold(lines) {
		if c.Current != nil {
			got[c.Current.Person] = got[c.Current.Person].Add(c.Current.Amount)
		}
	}
	people := map[string]bool{}
	for p := range got {
		people[p] = true
	}
	for p := range want {
		people[p] = true
	}
	sorted := make([]string, 0, len(people))
	for p := range people {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	places := money.MustPrecision(benchPlanCurrency)
	for _, p := range sorted {
		sqlAmount := decimal.New(want[p], -places)
		if !got[p].Equal(sqlAmount) {
			return 0, fmt.Errorf("payouts differ: %s: icomp %s, hand-written SQL %s", p, got[p].StringFixed(places), sqlAmount.StringFixed(places))
		}
	}
	return len(sorted), nil
}

// changeOneTransaction copies the transactions CSV src to dst with the
// amount of its first transaction raised by 12,345.67 (enough to cross the
// bench plan's deal-bonus threshold), and returns that transaction's id.
func changeOneTransaction(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return "", err
	}
	amountCol := -1
	for i, h := range header {
		if h == "amount" {
			amountCol = i
		}
	}
	if amountCol < 0 {
		return "", fmt.Errorf("%s has no amount column", src)
	}
	var id string
	err = writeFile(dst, func(f *os.File) error {
		w := csv.NewWriter(f)
		if err := w.Write(header); err != nil {
			return err
		}
		for n := 0; ; n++ {
			row, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if n == 0 {
				a, err := decimal.NewFromString(row[amountCol])
				if err != nil {
					return err
				}
				row[amountCol] = a.Add(decimal.RequireFromString("12345.67")).StringFixed(2)
				id = row[0]
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%s holds no transactions", src)
	}
	return id, nil
}
