package cli

import (
	"context"

	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// markScored marks the calculated or approved periods whose MBO scores an
// import added or changed as needing a re-run.
func markScored(ctx context.Context, tx storage.Tx, labels []string) error {
	for _, label := range labels {
		p, err := periods.Parse(ctx, tx, label)
		if err != nil {
			return err
		}
		if err := periods.NeedsRerun(ctx, tx, p, "MBO scores were imported"); err != nil {
			return err
		}
	}
	return nil
}
