package store

import (
	"context"
	"sync/atomic"
	"testing"
)

// BenchmarkInsertEvent measures one caller storing events one after another:
// every insert waits for its own fsync.
func BenchmarkInsertEvent(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.InsertEvent(ctx, testDelivery(i, base)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	report(b, s)
}

// BenchmarkInsertEventParallel measures many deliveries arriving at once
// (16 goroutines per CPU), where group commit lets one fsync serve many.
func BenchmarkInsertEventParallel(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.InsertEvent(ctx, testDelivery(int(next.Add(1)), base)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b, s)
}

func report(b *testing.B, s *Store) {
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if st := s.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Writes)/float64(st.Commits), "writes/commit")
	}
}
