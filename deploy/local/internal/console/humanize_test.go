package console

import "testing"

func TestHumanize(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"a JSON record becomes level, message and attributes in order",
			`{"time":"2026-11-22T13:08:08Z","level":"INFO","msg":"grpc listening","service":"organisation","addr":"127.0.0.1:9101","n":3}`,
			`INFO  grpc listening addr=127.0.0.1:9101 n=3`},
		{"values with spaces are quoted, nested values kept as JSON",
			`{"level":"ERROR","msg":"failed","error":"no such host","attrs":{"a":1}}`,
			`ERROR failed error="no such host" attrs={"a":1}`},
		{"plain text is left alone", `panic: boom`, `panic: boom`},
		{"broken JSON is left alone", `{"level":"INFO","msg":`, `{"level":"INFO","msg":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Humanize(tt.in); got != tt.want {
				t.Errorf("Humanize(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}
