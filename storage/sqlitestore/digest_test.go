package sqlitestore_test

import (
	"testing"

	"github.com/icomp/icomp/storage/storagetest"
)

func TestLedgerDigest(t *testing.T) {
	t.Parallel()
	storagetest.ExerciseLedgerDigest(t, open)
}

func TestGuards(t *testing.T) {
	t.Parallel()
	storagetest.ExerciseGuards(t, open)
}

func TestChanges(t *testing.T) {
	t.Parallel()
	storagetest.ExerciseChanges(t, open)
}
