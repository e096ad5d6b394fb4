// Package docs holds the reference documents the binary serves: the
// OpenAPI document of the REST API (openapi.json, served at
// /v1/openapi.json) and the AsyncAPI document of the alert websocket
// (asyncapi.yaml). api's conformance test keeps both true to the router.
package docs

import _ "embed"

// OpenAPI is openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// AsyncAPI is asyncapi.yaml.
//
//go:embed asyncapi.yaml
var AsyncAPI []byte
