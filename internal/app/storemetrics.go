package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// storeMemoryEvery is how often serve samples DuckDB's memory accounting.
const storeMemoryEvery = 15 * time.Second

// sampleStoreMemory keeps pagerlens_store_memory_bytes and
// pagerlens_store_wal_bytes current until ctx ends. Sampled on a ticker
// rather than at scrape time: a scrape never runs SQL. With the process's
// RSS beside it, an operator sees how much of the memory is DuckDB's
// buffer pool (bounded by memory_limit) and how much is not.
func sampleStoreMemory(st *store.Store, r prometheus.Registerer, log *slog.Logger) (func(ctx context.Context) error, error) {
	mem, wal := mn.NewGauge(mn.StoreMemoryBytes), mn.NewGauge(mn.StoreWALBytes)
	heap, releases := mn.NewGauge(mn.StoreNativeHeapBytes), mn.NewCounter(mn.StoreNativeReleasesTotal)
	if err := mn.Register(r, "store memory", mem, wal, heap, releases); err != nil {
		return nil, err
	}
	var counted int64
	sample := func(ctx context.Context) {
		// The store's native memory keeper checks every 15 s too
		// (store/native.go); this reports what it last saw.
		nm := st.NativeMemory()
		heap.Set(float64(nm.HeapInUse))
		releases.Add(float64(nm.Releases - counted))
		counted = nm.Releases
		m, w, err := st.MemoryUsage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Debug("sample store memory", "err", err)
			}
			return
		}
		mem.Set(float64(m))
		wal.Set(float64(w))
	}
	return func(ctx context.Context) error {
		t := time.NewTicker(storeMemoryEvery)
		defer t.Stop()
		for {
			sample(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}, nil
}
