// Package openapi embeds the OpenAPI (Swagger 2.0) description of the REST API,
// generated from the protos by protoc-gen-openapiv2, for the gateway to serve.
package openapi

import _ "embed"

// Spec is the merged OpenAPI description of every service.
//
//go:embed gongjian.swagger.json
var Spec []byte
