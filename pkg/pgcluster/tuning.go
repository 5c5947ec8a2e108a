package pgcluster

import (
	"strconv"

	"gongjian.dev/pkg/procfs"
)

// ProductionTuning is how a production server of the city's database is
// set beside PostgreSQL's defaults, made for a small machine: a quarter
// of the machine's memory as shared buffers (at most 8 GiB; the default's
// 128 MiB holds a fraction of the indexes of a million members, so every
// insert of a roster read and wrote pages it had just evicted), and
// checkpoints far enough apart that a page's first change after one (a
// full-page image in the WAL) is not written again every few seconds.
// Benchmarks that measure the city's volumes run on it, their ceilings
// on the same server.
func ProductionTuning() map[string]string {
	buffers := int64(128 << 20)
	if mem, err := procfs.MemTotal(); err == nil {
		buffers = min(max(buffers, mem/4), 8<<30)
	}
	return map[string]string{"shared_buffers": strconv.FormatInt(buffers>>20, 10) + "MB", "max_wal_size": "8GB",
		"checkpoint_timeout": "15min"}
}
