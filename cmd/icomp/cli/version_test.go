package cli

import (
	"regexp"
	"runtime/debug"
	"testing"
)

func TestVersionLine(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2027-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "false"}}
	dirty := append(append([]debug.BuildSetting{}, vcs[:3]...), debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "icomp devel"},
		{"go test or go run", &debug.BuildInfo{Main: debug.Module{Path: "github.com/icomp/icomp", Version: "(devel)"}}, "icomp devel"},
		{"empty version", &debug.BuildInfo{GoVersion: "go1.26.0"}, "icomp devel go1.26.0"},
		{"go install at a tag", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}}, "icomp v1.2.3 go1.26.0"},
		{"build from a clean checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"icomp devel (revision 0123456789abcdef0123456789abcdef01234567 2027-01-02T03:04:05Z) go1.26.0"},
		{"build from a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.3.0-0.20270102030405-0123456789ab+dirty"}, Settings: dirty},
			"icomp v1.3.0-0.20270102030405-0123456789ab+dirty (revision 0123456789abcdef0123456789abcdef01234567 2027-01-02T03:04:05Z, modified) go1.26.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := versionLine(tc.bi); got != tc.want {
				t.Errorf("versionLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVersionCommand: icomp version prints one line from this binary's
// build info (a test binary has no VCS revision: "devel").
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	r := mustIcomp(t, "version")
	if !regexp.MustCompile(`^icomp (devel|v\S+)( \(revision [0-9a-f]+[^)]*\))?( go\S+)?\n$`).MatchString(r.out) || r.errOut != "" {
		t.Fatalf("icomp version: %s", r)
	}
	if r := icomp(t, "version", "extra"); r.code != ExitUsage {
		t.Fatalf("icomp version extra: %s, want exit 2", r)
	}
}
