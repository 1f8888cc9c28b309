package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
	"github.com/icomp/icomp/storage/storagetest"
)

func open(t *testing.T) storage.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Exercise(t, open, storagetest.Options{
		RawExec: func(ctx context.Context, st storage.Store, sql string) error {
			_, err := st.(*sqlitestore.Store).DB.ExecContext(ctx, sql)
			return err
		},
		RawQueryInt: func(ctx context.Context, st storage.Store, sql string) (int64, error) {
			var n int64
			err := st.(*sqlitestore.Store).DB.QueryRowContext(ctx, sql).Scan(&n)
			return n, err
		},
	})
}
