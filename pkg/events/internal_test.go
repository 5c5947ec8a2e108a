package events

import (
	"testing"
	"time"
)

func TestRetryDelayGrowsAndIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		deliveries uint64
		want       time.Duration
	}{
		{0, minRetryDelay},
		{1, minRetryDelay},
		{2, 2 * minRetryDelay},
		{4, 8 * minRetryDelay},
		{1000, maxRetryDelay},
	}
	for _, tt := range tests {
		if got := retryDelay(tt.deliveries); got != tt.want {
			t.Errorf("retryDelay(%d) = %s, want %s", tt.deliveries, got, tt.want)
		}
	}
}

func TestStreamConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg := streamConfig(StreamSpec{Name: "S", Subjects: []string{"s.>"}, Duplicates: time.Minute, Replicas: 3})
	if cfg.Duplicates != time.Minute || cfg.Replicas != 3 {
		t.Errorf("explicit values overridden: duplicates %s, replicas %d", cfg.Duplicates, cfg.Replicas)
	}
	cfg = streamConfig(StreamSpec{Name: "S", Subjects: []string{"s.>"}})
	if cfg.Duplicates != DefaultDuplicates || cfg.Replicas != 1 {
		t.Errorf("defaults not applied: duplicates %s, replicas %d", cfg.Duplicates, cfg.Replicas)
	}
}
