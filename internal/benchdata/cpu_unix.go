//go:build unix

package benchdata

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time the process has used, user and system, on all its threads. On a shared
// machine it varies far less than wall time with what else runs, so benchmarks report it per operation
// beside ns/op.
func CPUTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
