package sqlitestore_test

import (
	"testing"

	"github.com/icomp/icomp/storage/sqlstore"
	"github.com/icomp/icomp/storage/storagetest"
)

// TestUncreditedLeftJoin checks the uncredited report read the other way:
// with the in-memory anti-join's set limited to one credit, SQLite falls
// back to UncreditedLeftJoin (Exercise checks the in-memory way). Not
// parallel: it sets a package variable, restored before any parallel
// test of the package resumes.
func TestUncreditedLeftJoin(t *testing.T) {
	defer func(n int) { sqlstore.UncreditedInMemoryMax = n }(sqlstore.UncreditedInMemoryMax)
	sqlstore.UncreditedInMemoryMax = 1
	storagetest.ExerciseUncredited(t, open)
}
