// Package k8stest installs the Helm chart on a real Kubernetes API server
// and runs what it describes from the images `make images` builds; see
// k8s_test.go. It is a module of its own, outside go.work, so that `make
// test` never compiles it; `make k8s-test` runs it.
package k8stest
