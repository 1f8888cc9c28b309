package engine

import (
	"math/bits"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/plans"
)

// Holds and clawbacks need, per deal, what each of its credits counted
// in a component: the value of the component's measure (a rate table) or
// its per-credit amount. The credit pass has just worked these out; it
// keeps them for the period's credits (dealVals), so that dealPaid reads
// them instead of running the rules again for every deal.

// dealVal is what one period credit counted in one measure or per-credit
// component: set once the credit pass evaluated it; skip when the rule's
// where excluded the credit.
type dealVal struct {
	v decimal.Decimal
	// c and e are v as a fix (toFix) when fok.
	c              int64
	e              int32
	set, skip, fok bool
}

// dealVals records dealVal per period credit, for the measures and
// per-credit components the plan's holds and clawbacks read; each
// credit's credit.dv says where (the period credits in the order they
// were made, but for the deals a recomputation is not read for).
type dealVals struct {
	// slotOfMeasure and slotOfPerCredit give each measure (by index in
	// the plan) and per-credit component (by index in calc.perCredit)
	// its slot, or -1 when nothing reads it.
	slotOfMeasure, slotOfPerCredit []int
	stride                         int
	// chunks hold the slots of period credits, 1<<chunkBits credits a
	// chunk: the credits are not counted before they are made, and
	// chunks are added without copying what the others hold, nor
	// leaving more than a chunk unused.
	chunks    [][]dealVal
	chunkBits uint
	n         int // period credits with slots
}

// prepareDealVals sets up dealVals when the plan holds or claws back.
func (c *calc) prepareDealVals() {
	var comps []int
	if h := c.plan.Hold; h != nil {
		comps = append(comps, h.Components...)
	}
	if cb := c.plan.Clawback; cb != nil {
		comps = append(comps, cb.Components...)
	}
	if len(comps) == 0 {
		return
	}
	dv := &dealVals{slotOfMeasure: make([]int, len(c.plan.Measures)), slotOfPerCredit: make([]int, len(c.perCredit))}
	for i := range dv.slotOfMeasure {
		dv.slotOfMeasure[i] = -1
	}
	for i := range dv.slotOfPerCredit {
		dv.slotOfPerCredit[i] = -1
	}
	for _, ci := range comps {
		comp := &c.plan.Components[ci]
		switch comp.Type {
		case plans.ComponentRateTable:
			for i := range c.plan.Measures {
				if c.plan.Measures[i].Name == comp.Measure && dv.slotOfMeasure[i] < 0 {
					dv.slotOfMeasure[i] = dv.stride
					dv.stride++
				}
			}
		case plans.ComponentPerCredit:
			for k, pci := range c.perCredit {
				if pci == ci && dv.slotOfPerCredit[k] < 0 {
					dv.slotOfPerCredit[k] = dv.stride
					dv.stride++
				}
			}
		}
	}
	if dv.stride == 0 {
		return
	}
	// Chunks of about 64 KiB, in a power of two of credits: small
	// enough that a chunk, zeroed when made, is still in the cache when
	// the credit pass fills it, and that the last one wastes little. A
	// recomputation read for a few deals records only their credits
	// (add): a chunk for twice as many credits as it has deals, if less.
	per := max(dvChunkBytes/(int(unsafe.Sizeof(dealVal{}))*dv.stride), 16)
	if c.traced != nil {
		guess := 0
		for _, t := range c.traced {
			if t {
				guess += 2
			}
		}
		per = min(per, max(guess, 16))
	}
	dv.chunkBits = uint(bits.Len(uint(per)) - 1)
	c.dealVals = dv
}

// dvChunkBytes is about how large a chunk of dealVals is.
const dvChunkBytes = 64 << 10

// grow adds the slots of one more period credit.
func (dv *dealVals) grow() {
	if dv.n&(1<<dv.chunkBits-1) == 0 {
		dv.chunks = append(dv.chunks, make([]dealVal, (1<<dv.chunkBits)*dv.stride))
	}
	dv.n++
}

// at is the place of slot of the credit recorded at pos (credit.dv).
func (dv *dealVals) at(pos int32, slot int) *dealVal {
	return &dv.chunks[int(pos)>>dv.chunkBits][(int(pos)&(1<<dv.chunkBits-1))*dv.stride+slot]
}

// put records what the credit recorded at pos (credit.dv) counted in
// slot, unless pos or slot is -1.
func (dv *dealVals) put(pos int32, slot int, v decimal.Decimal, f fix, fok, skip bool) {
	if pos < 0 || slot < 0 {
		return
	}
	*dv.at(pos, slot) = dealVal{v: v, c: f.c, e: f.e, set: true, skip: skip, fok: fok}
}

// dealValSlot is the slot where the credit pass recorded what credits
// counted in comp, a component of type rate table reading measure m or
// per-credit; -1 when it recorded nothing.
func (c *calc) dealValSlot(comp *plans.Component, m *plans.Measure) int {
	dv := c.dealVals
	if dv == nil {
		return -1
	}
	slot := -1
	if m != nil {
		for i := range c.plan.Measures {
			if &c.plan.Measures[i] == m {
				slot = dv.slotOfMeasure[i]
			}
		}
	} else {
		for k, ci := range c.perCredit {
			if &c.plan.Components[ci] == comp {
				slot = dv.slotOfPerCredit[k]
			}
		}
	}
	return slot
}

// dealValAt returns what the credit recorded at pos (credit.dv) counted
// in slot (dealValSlot), when the credit pass recorded it.
func (c *calc) dealValAt(pos int32, slot int) (dealVal, bool) {
	if slot < 0 || pos < 0 {
		return dealVal{}, false
	}
	v := *c.dealVals.at(pos, slot)
	return v, v.set
}
