package engine

// growFor returns s with room for at least one more element. Slices the
// credit pass fills (the period's credits) grow about evenly over it: when s is full after done of total
// transactions, it likely ends near len(s) × total ÷ done, and is grown
// to that (a sixteenth more) in one step rather than by doubling
// several times, copying everything each time. The estimate is held to
// four times s's length, so an uneven pass wastes no more than that.
func growFor[T any](s []T, done, total int) []T {
	if len(s) < cap(s) {
		return s
	}
	n := len(s) + len(s)/4 + 8
	if done > 0 && done < total {
		est := min(int(int64(len(s))*int64(total)/int64(done))+len(s)/16, 4*len(s))
		n = max(n, est)
	}
	out := make([]T, len(s), n)
	copy(out, s)
	return out
}
