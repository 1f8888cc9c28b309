package sqlitestore

import (
	"testing"

	"github.com/icomp/icomp/storage/storagetest"
)

// TestUpgradeToV15PacksCredits: a schema v14 database's credits, one row
// each, become one pack per line, listed as they were.
func TestUpgradeToV15PacksCredits(t *testing.T) {
	t.Parallel()
	storagetest.CheckV14Credits(t, openAtVersion(t, 14, storagetest.V14Credits))
}
