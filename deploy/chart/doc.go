// Package chart holds the tests of the Helm chart in charts/gongjian: they
// render it with the Helm library as `helm install` would, decode every
// document strictly into the Kubernetes API types, and check what a
// deployment of Gongjian depends on.
//
// It is a module of its own, outside go.work, because the Helm library takes
// minutes to compile: `make chart` runs it, `make test` does not.
package chart
