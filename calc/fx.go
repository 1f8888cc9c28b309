package calc

import (
	"context"
	"fmt"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// Multi-currency (docs/plans.md §18): the engine converts transactions
// into the plan's currency (engine/fx.go); settlement converts what a
// person earned into the person's own currency, at the rate of the month
// in which the period ends, rounded half up to that currency's minor unit.

// LoadFX reads every stored exchange rate.
func LoadFX(ctx context.Context, r storage.FXReader) (facts.FXRates, error) {
	rates, err := r.FXRateList(ctx)
	if err != nil {
		return facts.FXRates{}, err
	}
	return facts.NewFXRates(rates)
}

// CreditsDetail is the detail of a credit summary line whose credits
// include transactions converted into the plan's currency.
type CreditsDetail struct {
	// FX lists each converted transaction once, by transaction ID.
	FX []CreditFX `json:"fx,omitempty"`
}

// CreditFX is one transaction's conversion.
type CreditFX struct {
	Txn string `json:"txn"`
	engine.Conversion
}

// creditsDetails returns the detail of each person's credit summary line
// whose credits include converted transactions (res.Credits are sorted by
// person, transaction and rule).
func creditsDetails(res *engine.Result) map[string]string {
	var out map[string]string
	var d CreditsDetail
	flush := func(person string) {
		if len(d.FX) > 0 {
			if out == nil {
				out = map[string]string{}
			}
			out[person] = mustJSON(d)
		}
		d.FX = nil
	}
	for i, c := range res.Credits {
		if i > 0 && res.Credits[i-1].Person != c.Person {
			flush(res.Credits[i-1].Person)
		}
		if c.FX == nil {
			continue
		}
		if n := len(d.FX); n > 0 && d.FX[n-1].Txn == c.TxnID {
			continue // another rule's credit of the same transaction
		}
		d.FX = append(d.FX, CreditFX{Txn: c.TxnID, Conversion: *c.FX})
	}
	if n := len(res.Credits); n > 0 {
		flush(res.Credits[n-1].Person)
	}
	return out
}

// PayeeConversionReason starts the reason of a payable line converted
// into its person's currency.
const PayeeConversionReason = "converted to the payee's currency"

// payeeConversion converts payable line l into currency to (the
// person's), saying how in its reason.
func payeeConversion(l *ledger.Line, to string, s Settlement) error {
	if to == "" || to == l.Currency || l.Currency == "" {
		return nil
	}
	if _, ok := money.Precision(to); !ok {
		return fmt.Errorf("%w: %s's currency %q is not an ISO 4217 currency icomp knows", engine.ErrInput, l.Person, to)
	}
	rate, month, ok := s.FX.Lookup(l.Currency, to, s.Period.End)
	if !ok {
		return fmt.Errorf("%w: %w", engine.ErrInput, &facts.MissingFXRateError{From: l.Currency, To: to, Month: month,
			For: fmt.Sprintf("paying %s's %s %s (%s %s) in %s, their currency, for %s", l.Person, l.Plan, l.Subject, l.Amount, l.Currency, to, s.Period.Label)})
	}
	converted := money.RoundToCurrency(l.Amount.Mul(rate), to)
	why := fmt.Sprintf(PayeeConversionReason+": %s %s × %s (%s→%s, %s) = %s %s", l.Amount, l.Currency, rate, l.Currency, to, month, converted, to)
	if l.Reason != "" {
		why = l.Reason + "; " + why
	}
	l.Amount, l.Currency, l.Reason = converted, to, why
	return nil
}

// convertToPayees converts each payable line of lines (made from earned
// lines) into its person's currency, when the person has one.
func convertToPayees(s Settlement, lines []ledger.Line) error {
	currency := make(map[string]string, len(s.People))
	for _, p := range s.People {
		currency[p.ID] = p.Currency
	}
	for i := range lines {
		if err := payeeConversion(&lines[i], currency[lines[i].Person], s); err != nil {
			return err
		}
	}
	return nil
}
