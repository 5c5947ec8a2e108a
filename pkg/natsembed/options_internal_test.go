package natsembed

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
)

func TestServerOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Options
		want []any // host, port, store, sync always, JetStream
	}{
		{"defaults", Options{StoreDir: "/s"}, []any{"127.0.0.1", server.RANDOM_PORT, "/s", false, true}},
		{"everything set", Options{Host: "0.0.0.0", Port: 4222, StoreDir: "/s", SyncAlways: true},
			[]any{"0.0.0.0", 4222, "/s", true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := serverOptions(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{o.Host, o.Port, o.StoreDir, o.SyncAlways, o.JetStream}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("server options (-want +got):\n%s", diff)
			}
		})
	}
}
