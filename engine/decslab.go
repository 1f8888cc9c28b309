package engine

import (
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/shopspring/decimal"
)

// A calculation makes hundreds of thousands of decimals of int64
// coefficients for its traces (tier parts, deals' amounts, held amounts).
// decimal.New allocates two objects for each (the big.Int and its one
// word); decSlab makes them from blocks instead, one big.Int and one word
// of a block per decimal, which spares the allocator and the garbage
// collector most of that work. The decimals are ordinary
// shopspring decimals, equal to decimal.New's in value and exponent:
// shopspring never changes a decimal's big.Int once made, so a block's
// big.Ints are never written after the decimal is made.
//
// shopspring has no constructor that takes a big.Int without copying it,
// so decimalOf builds the decimal with unsafe from a struct of the same
// layout (a *big.Int, then the int32 exponent). slabWorks checks, once,
// that this gives decimal.New's decimals; where it does not (another
// layout, a 32-bit platform), decSlab makes them with decimal.New.

// decimalLayout is the layout of decimal.Decimal.
type decimalLayout struct {
	value *big.Int
	exp   int32
}

// decimalOf is the decimal v × 10^exp, sharing v.
func decimalOf(v *big.Int, exp int32) decimal.Decimal {
	l := decimalLayout{value: v, exp: exp}
	return *(*decimal.Decimal)(unsafe.Pointer(&l))
}

// slabWorks is whether decimalOf makes the decimals decimal.New makes.
var slabWorks = func() bool {
	if bits.UintSize != 64 || unsafe.Sizeof(decimal.Decimal{}) != unsafe.Sizeof(decimalLayout{}) {
		return false
	}
	for _, c := range []int64{0, 1, -1, 7, -250, 123456789, -1 << 62, 1<<63 - 1, -1 << 63} {
		for _, e := range []int32{-10, -2, 0, 3} {
			var s decSlab
			s.works = true
			got, want := s.dec(c, e), decimal.New(c, e)
			if got.Exponent() != e || got.CoefficientInt64() != c || got.Coefficient().Cmp(want.Coefficient()) != 0 ||
				got.String() != want.String() || !got.Equal(want) || got.Sign() != want.Sign() {
				return false
			}
		}
	}
	return true
}()

// decSlabBlock is how many decimals a block holds.
const decSlabBlock = 512

// decSlab makes decimals from blocks. The zero decSlab works; a nil one
// makes them with decimal.New.
type decSlab struct {
	ints  []big.Int
	words []big.Word
	// works is slabWorks, or set by slabWorks's own check.
	works bool
}

// newDecSlab returns a slab, or nil where decimalOf does not work.
func newDecSlab() *decSlab {
	if !slabWorks {
		return nil
	}
	return &decSlab{works: true}
}

// smallInts are decimal.New(c, 0) for c from 0 to len-1, made once and
// shared, like any decimal, by whoever reads them: typed attributes are
// often small counts (a quantity), made by the hundred thousand.
var smallInts = func() (out [256]decimal.Decimal) {
	for i := range out {
		out[i] = decimal.New(int64(i), 0)
	}
	return out
}()

// dec is decimal.New(c, e).
func (s *decSlab) dec(c int64, e int32) decimal.Decimal {
	if e == 0 && c >= 0 && c < int64(len(smallInts)) {
		return smallInts[c]
	}
	if s == nil || !s.works {
		return decimal.New(c, e)
	}
	if len(s.ints) == 0 {
		s.ints = make([]big.Int, decSlabBlock)
		s.words = make([]big.Word, decSlabBlock)
	}
	v := &s.ints[0]
	s.ints = s.ints[1:]
	if c != 0 {
		u := uint64(c)
		if c < 0 {
			u = -u
		}
		w := s.words[:1:1]
		s.words = s.words[1:]
		w[0] = big.Word(u)
		v.SetBits(w)
		if c < 0 {
			v.Neg(v)
		}
	}
	return decimalOf(v, e)
}

// of is f.decimal().
func (s *decSlab) of(f fix) decimal.Decimal { return s.dec(f.c, f.e) }
