// Package examples carries the bundled example manifests inside the gatebridge binary, so that
// `gatebridge demo` runs from any directory.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed shop/*.yaml
var files embed.FS

// Shop returns the manifests of the shop that `gatebridge demo` serves (the folder examples/shop).
func Shop() fs.FS {
	sub, err := fs.Sub(files, "shop")
	if err != nil {
		panic(fmt.Sprintf("embedded example: %v", err)) // a fixed, valid path: cannot fail
	}
	return sub
}
