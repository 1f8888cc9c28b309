package sqlstore

// CollideForTest gives ids one fingerprint (and the low 32 bits of it,
// their stored rows' too), until the test ends.
func CollideForTest(cleanup func(func()), ids ...string) {
	same := map[string]bool{}
	for _, id := range ids {
		same[id] = true
	}
	fingerprintForTest = func(id string) (uint64, bool) { return 42, same[id] }
	cleanup(func() { fingerprintForTest = nil })
}
