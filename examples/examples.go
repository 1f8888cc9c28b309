// Package examples holds icomp's example plans, target plans and plan
// tests (one directory per plan), embedded so that `icomp demo` can
// publish them from any working directory.
package examples

import "embed"

// Plans holds every example plan directory's YAML files.
//
//go:embed */*.yaml
var Plans embed.FS
