package datagen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"
)

// The EMEA team of the multi-currency example (examples/emea-account-executive):
// account executives paid in pounds on a plan that computes in euros, their
// deals booked in euros or pounds, and a year of monthly exchange rates.
// These are files of their own, beside the main dataset, which they leave
// unchanged.

// EMEAPlan is the comp plan the EMEA reps are assigned to.
const EMEAPlan = "emea-ae-quarterly"

// EMEAPeople returns the EMEA reps: emea-ae-1.., reporting to vp-1.
func EMEAPeople(c Config) []Person {
	c = c.withDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 3))
	var out []Person
	for i := 1; i <= 3; i++ {
		out = append(out, Person{ID: fmt.Sprintf("emea-ae-%d", i), Name: firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
			Role: "EMEA-AE", Territory: "emea", Manager: "vp-1", HireDate: "2024-09-02", skill: 80 + rng.IntN(60)})
	}
	return out
}

// WriteEMEAPeople writes the EMEA people CSV: paid in GBP, assigned to
// EMEAPlan (which must be published first).
func WriteEMEAPeople(w io.Writer, c Config) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "role", "territory", "manager", "currency", "hire_date", "plans"})
	for _, p := range EMEAPeople(c) {
		_ = cw.Write([]string{p.ID, p.Name, p.Role, p.Territory, p.Manager, "GBP", p.HireDate, EMEAPlan})
	}
	cw.Flush()
	return cw.Error()
}

// WriteEMEATransactions writes the EMEA deals of the fiscal year: about
// 40 a rep, in EUR or GBP, some of them multi-year.
func WriteEMEATransactions(w io.Writer, c Config) error {
	c = c.withDefaults()
	people := EMEAPeople(c)
	rng := rand.New(rand.NewPCG(c.Seed, 4))
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	_ = cw.Write([]string{"id", "date", "type", "owner", "territory", "product", "amount", "currency", "attr.multi_year"})
	start := time.Date(c.FiscalYear, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 40*len(people); i++ {
		p := people[rng.IntN(len(people))]
		typ, currency, multi := "new", "EUR", ""
		amount := decimal.New(int64(200_000+rng.IntN(900_000))*int64(p.skill)/100, -2)
		switch t := rng.IntN(100); {
		case t < 35:
			typ = "upsell"
		case t < 40:
			typ = "refund"
			amount = amount.Neg().Div(decimal.NewFromInt(4)).Round(2)
		}
		if rng.IntN(3) == 0 {
			currency = "GBP"
		}
		if typ == "new" && rng.IntN(4) == 0 {
			multi = "true"
		}
		date := start.AddDate(0, 0, rng.IntN(365))
		_ = cw.Write([]string{fmt.Sprintf("E%06d", i+1), date.Format(time.DateOnly), typ, p.ID, p.Territory, "platform", amount.StringFixed(2), currency, multi})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFX writes the exchange rates the EMEA example needs, a rate per
// month of the fiscal year: GBP→EUR (deals in pounds, on a plan in euros)
// and EUR→GBP (paying the reps in pounds), each quoted on its own as
// banks quote them, not one the inverse of the other.
func WriteFX(w io.Writer, c Config) error {
	c = c.withDefaults()
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"from", "to", "month", "rate"})
	gbpEUR := []string{"1.1820", "1.1905", "1.1673", "1.1712", "1.1768", "1.1650", "1.1599", "1.1702", "1.1745", "1.1688", "1.1731", "1.1804"}
	eurGBP := []string{"0.8460", "0.8399", "0.8567", "0.8538", "0.8497", "0.8583", "0.8621", "0.8545", "0.8514", "0.8556", "0.8524", "0.8471"}
	for m := range 12 {
		month := fmt.Sprintf("%04d-%02d", c.FiscalYear, m+1)
		_ = cw.Write([]string{"GBP", "EUR", month, gbpEUR[m]})
		_ = cw.Write([]string{"EUR", "GBP", month, eurGBP[m]})
	}
	cw.Flush()
	return cw.Error()
}
