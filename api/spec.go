// Package api holds slotbook's OpenAPI description, the authoritative
// contract of its HTTP API, for the tests that check real answers against it.
package api

import _ "embed"

// OpenAPI is the text of openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
