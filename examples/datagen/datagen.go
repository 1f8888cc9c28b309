// Package datagen generates a realistic, seeded example dataset for the
// example plans: a three-level sales org (a VP, regional managers, and
// account executives, SDRs, sales engineers and renewals managers under
// them) and a fiscal year of transactions, written as the CSV files that
// `icomp import` reads. The same Config always gives the same bytes.
package datagen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Config says what to generate. The zero value is the demo dataset.
type Config struct {
	// Seed makes the data (default 2027).
	Seed uint64
	// Regions is the number of regions, each with a manager (default 4).
	Regions int
	// PerRegion is the reps per region by role (default AE 5, SDR 2, SE 1, RM 1).
	PerRegion map[string]int
	// Transactions is how many transactions to write (default 20,000).
	Transactions int
	// FiscalYear is the year the transactions fall in (default 2027, January start).
	FiscalYear int
	// From and To, when set, narrow the transactions' dates to [From, To]
	// (both days included); default the whole fiscal year.
	From, To time.Time
	// CancelPercent is the share (in percent) of AE new-logo and new
	// deals a customer later cancels, in full or in half, from 1 to 120
	// days after the deal (so some fall outside a 90-day clawback window):
	// a cancellation transaction with attr.cancels naming the deal. 0 (the
	// default) writes none; the demo asks for some.
	CancelPercent int
}

func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = 2027
	}
	if c.Regions == 0 {
		c.Regions = 4
	}
	if c.PerRegion == nil {
		c.PerRegion = map[string]int{"AE": 5, "SDR": 2, "SE": 1, "RM": 1}
	}
	if c.Transactions == 0 {
		c.Transactions = 20_000
	}
	if c.FiscalYear == 0 {
		c.FiscalYear = 2027
	}
	return c
}

// ForPeople returns a Config with about n people in the usual role mix.
func ForPeople(n, transactions int) Config {
	perRegion := 9 // 5 AE, 2 SDR, 1 SE, 1 RM
	regions := max(1, (n-1)/(perRegion+1))
	return Config{Regions: regions, Transactions: transactions}
}

// Person is a generated person.
type Person struct {
	ID, Name, Role, Territory, Manager, HireDate string
	// skill scales the person's deal sizes (percent).
	skill int
}

var (
	firstNames = []string{"Ana", "Bo", "Carla", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Viktor", "Wen", "Xena", "Yusuf", "Zoe"}
	lastNames  = []string{"Lopez", "Chen", "Okafor", "Patel", "Schmidt", "Nakamura", "Rossi", "Haddad", "Novak", "Silva", "Kim", "Dubois", "Mensah", "Ivanova", "Garcia", "Olsen"}
	regionIDs  = []string{"west", "east", "central", "south", "north", "emea", "apac", "latam"}
	roleOrder  = []string{"AE", "SDR", "SE", "RM"}
	rolePrefix = map[string]string{"AE": "ae", "SDR": "sdr", "SE": "se", "RM": "rm"}
)

func regionName(i int) string {
	if i < len(regionIDs) {
		return regionIDs[i]
	}
	return "region-" + strconv.Itoa(i+1)
}

// People returns the org: vp-1, mgr-1..mgr-R, then reps numbered per role.
func People(c Config) []Person {
	c = c.withDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 1))
	name := func() string {
		return firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
	}
	out := []Person{{ID: "vp-1", Name: name(), Role: "VP", HireDate: "2020-01-06", skill: 100}}
	counters := map[string]int{}
	for r := 0; r < c.Regions; r++ {
		mgr := fmt.Sprintf("mgr-%d", r+1)
		out = append(out, Person{ID: mgr, Name: name(), Role: "Manager", Territory: regionName(r), Manager: "vp-1", HireDate: "2021-03-01", skill: 100})
		for _, role := range roleOrder {
			for i := 0; i < c.PerRegion[role]; i++ {
				counters[role]++
				hire := fmt.Sprintf("20%02d-%02d-01", 22+rng.IntN(4), 1+rng.IntN(12))
				out = append(out, Person{
					ID: fmt.Sprintf("%s-%d", rolePrefix[role], counters[role]), Name: name(), Role: role,
					Territory: regionName(r), Manager: mgr, HireDate: hire, skill: 60 + rng.IntN(90),
				})
			}
		}
	}
	return out
}

// WritePeople writes the people CSV.
func WritePeople(w io.Writer, c Config) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "role", "territory", "manager", "currency", "hire_date"})
	for _, p := range People(c) {
		_ = cw.Write([]string{p.ID, p.Name, p.Role, p.Territory, p.Manager, "USD", p.HireDate})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTransactions writes the transactions CSV, streaming: any count fits
// in constant memory.
func WriteTransactions(w io.Writer, c Config) error {
	c = c.withDefaults()
	people := People(c)
	byRole := map[string][]Person{}
	for _, p := range people {
		byRole[p.Role] = append(byRole[p.Role], p)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 2))
	start := time.Date(c.FiscalYear, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(c.FiscalYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if !c.From.IsZero() {
		start, end = c.From, c.To.AddDate(0, 0, 1)
	}
	days := end.Sub(start).Hours() / 24
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	header := []string{"id", "date", "type", "owner", "territory", "product", "amount", "currency", "splits", "attr.split", "attr.new_logo", "attr.qualified", "attr.stage", "attr.term"}
	if c.CancelPercent > 0 {
		header = append(header, "attr.cancels")
	}
	_ = cw.Write(header)
	// Cancellations draw from their own stream, so that asking for them
	// leaves every other row as it was.
	cancelRNG := rand.New(rand.NewPCG(c.Seed, 3))
	products := []string{"core", "analytics", "platform", "support"}
	// cents returns an amount between lo and hi whole units, in cents,
	// scaled by skill percent.
	cents := func(lo, hi int, skill int) decimal.Decimal {
		v := int64(lo*100+rng.IntN((hi-lo)*100+1)) * int64(skill) / 100
		return decimal.New(v, -2)
	}
	row := make([]string, len(header))
	for i := 0; i < c.Transactions; i++ {
		for j := range row {
			row[j] = ""
		}
		date := start.AddDate(0, 0, rng.IntN(int(days)))
		row[0] = fmt.Sprintf("T%08d", i+1)
		row[1] = date.Format(time.DateOnly)
		row[5] = products[rng.IntN(len(products))]
		row[7] = "USD"
		roll := rng.IntN(100)
		var owner Person
		var amount decimal.Decimal
		switch {
		case roll < 60 && len(byRole["AE"]) > 0:
			owner = byRole["AE"][rng.IntN(len(byRole["AE"]))]
			t := rng.IntN(100)
			switch {
			case t < 45:
				row[2] = "new"
				amount = cents(500, 4000, owner.skill)
				if rng.IntN(100) < 20 {
					row[10] = "true"
				}
				if rng.IntN(200) == 0 {
					amount = cents(50000, 120000, 100)
				}
			case t < 80:
				row[2] = "upsell"
				amount = cents(300, 2500, owner.skill)
			case t < 96:
				row[2] = "renewal"
				amount = cents(1000, 5000, owner.skill)
			default:
				row[2] = "refund"
				amount = cents(200, 2000, 100).Neg()
			}
			// One deal in twenty is shared with another AE of the region.
			if row[2] == "new" && rng.IntN(20) == 0 {
				if peer, ok := peerOf(byRole["AE"], owner, rng); ok {
					row[8] = owner.ID + ":0.6;" + peer.ID + ":0.4"
					row[9] = "true"
				}
			}
		case roll < 75 && len(byRole["SDR"]) > 0:
			owner = byRole["SDR"][rng.IntN(len(byRole["SDR"]))]
			if rng.IntN(100) < 60 {
				row[2] = "meeting"
				amount = decimal.Zero
				row[11] = strconv.FormatBool(rng.IntN(100) < 75)
			} else {
				row[2] = "opportunity"
				amount = cents(5000, 60000, 100)
				row[12] = "open"
				if rng.IntN(2) == 0 {
					row[12] = "accepted"
				}
			}
		case len(byRole["RM"]) > 0:
			owner = byRole["RM"][rng.IntN(len(byRole["RM"]))]
			if rng.IntN(100) < 92 {
				row[2] = "renewal"
				amount = cents(800, 3500, owner.skill)
				row[13] = "annual"
				if rng.IntN(5) == 0 {
					row[13] = "multi-year"
				}
			} else {
				row[2] = "downgrade"
				amount = cents(100, 1500, 100).Neg()
			}
		default:
			owner = people[0]
			row[2] = "other"
			amount = decimal.Zero
		}
		row[3] = owner.ID
		row[4] = owner.Territory
		row[6] = amount.StringFixed(2)
		if err := cw.Write(row); err != nil {
			return err
		}
		if c.CancelPercent > 0 && row[2] == "new" && cancelRNG.IntN(100) < c.CancelPercent {
			on := date.AddDate(0, 0, 1+cancelRNG.IntN(120))
			returned := amount
			if cancelRNG.IntN(2) == 0 {
				returned = amount.Div(decimal.NewFromInt(2)).Round(2)
			}
			if on.Before(end) && returned.Sign() > 0 {
				cancel := slices.Clone(row)
				cancel[0] += "-C"
				cancel[1] = on.Format(time.DateOnly)
				cancel[2] = "cancellation"
				cancel[6] = returned.Neg().StringFixed(2)
				cancel[10] = ""
				cancel[len(cancel)-1] = row[0]
				if err := cw.Write(cancel); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func peerOf(aes []Person, owner Person, rng *rand.Rand) (Person, bool) {
	var peers []Person
	for _, p := range aes {
		if p.Territory == owner.Territory && p.ID != owner.ID {
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		return Person{}, false
	}
	return peers[rng.IntN(len(peers))], true
}
