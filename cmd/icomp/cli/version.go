package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print icomp's module version and the VCS revision it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				bi = nil
			}
			fmt.Fprintln(e.out, versionLine(bi))
			return nil
		},
	}
}

// versionLine describes a build: "icomp VERSION", then the VCS revision,
// its time and "modified" when the build info records them. The version
// is "devel" when unknown: no build info, or a build from a checkout
// ("(devel)").
func versionLine(bi *debug.BuildInfo) string {
	version := "devel"
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	line := "icomp " + version
	if bi == nil {
		return line
	}
	var revision, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		line += " (revision " + revision
		if at != "" {
			line += " " + at
		}
		if modified {
			line += ", modified"
		}
		line += ")"
	}
	if bi.GoVersion != "" {
		line += " " + bi.GoVersion
	}
	return line
}
