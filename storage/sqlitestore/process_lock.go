package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrLocked is returned when another icomp process has the database open.
var ErrLocked = errors.New("another icomp process is using this database")

// Lock takes an exclusive lock on path+".lock" for this process's
// lifetime. The embedded backend serves one process at a time: River on
// SQLite cannot share a database between processes. A new lock file is
// readable by its owner only, like the database.
func Lock(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, FileMode)
	if err != nil {
		return nil, err
	}
	// A lock just released can still be held for a moment by a child
	// process that another goroutine of the releasing process forked and
	// that has not reached exec yet (the child shares the lock until exec
	// closes the file): wait lockWait before calling the database busy.
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s: %w", path, ErrLocked)
			}
			return nil, err
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lockWait is how long Lock retries a lock that another holder has.
const lockWait = 2 * time.Second

// RequeueOrphanedJobs makes jobs left running by a process that died
// (kill -9, power loss) available again. It is only safe while holding
// Lock: then no other process can be working them. River's own rescuer
// would do the same, but only after an hour.
func (s *Store) RequeueOrphanedJobs(ctx context.Context) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
