package plans

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/plans/rules"
)

// File is one loaded plan, target plan, settlement policy, plan test or
// settlement test file; exactly one of Comp, Target, Settlement, Test and
// SettlementTest is set.
type File struct {
	Path       string
	Kind       string
	Comp       *CompPlan
	Target     *TargetPlan
	Settlement *SettlementPolicy
	Test       *TestFile
	// SettlementTest is a settlement test file (kind settlement_test).
	SettlementTest *SettlementTestFile
}

// fileBytesMax is the largest plan file read.
const fileBytesMax = 16 << 20

// Loader loads plan files, each at most once, so that a directory of
// plans and tests that refer to each other is read and compiled once.
type Loader struct {
	cache map[string]loaded
}

type loaded struct {
	file  *File
	diags Diagnostics
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader { return &Loader{cache: map[string]loaded{}} }

// LoadFile reads and validates one file. Diagnostics holds every problem
// found; the File is usable only when there are none.
func (l *Loader) LoadFile(path string) (*File, Diagnostics) {
	path = filepath.Clean(path)
	if c, ok := l.cache[path]; ok {
		return c.file, c.diags
	}
	var f *File
	var diags Diagnostics
	info, err := os.Stat(path)
	switch {
	case err != nil:
		diags = Diagnostics{{Pos: Pos{File: path}, Message: fmt.Sprintf("cannot read: %v", pathErr(err))}}
		f = &File{Path: path}
	case !info.Mode().IsRegular():
		// A directory, device or pipe: a test file's plan key can name
		// any path, and reading /dev/zero would never end.
		diags = Diagnostics{{Pos: Pos{File: path}, Message: "cannot read: not a regular file"}}
		f = &File{Path: path}
	case info.Size() > fileBytesMax:
		diags = Diagnostics{{Pos: Pos{File: path, Line: 1, Column: 1}, Message: fmt.Sprintf("file is %d bytes; the limit is %d", info.Size(), fileBytesMax)}}
		f = &File{Path: path}
	default:
		src, err := readFileMax(path, fileBytesMax)
		if err != nil {
			diags = Diagnostics{{Pos: Pos{File: path}, Message: fmt.Sprintf("cannot read: %v", pathErr(err))}}
			f = &File{Path: path}
		} else {
			// Cache a placeholder first so a test file naming itself as
			// its plan cannot recurse.
			l.cache[path] = loaded{&File{Path: path}, Diagnostics{{Pos: Pos{File: path, Line: 1, Column: 1}, Message: "file refers to itself"}}}
			f, diags = l.load(path, src)
		}
	}
	l.cache[path] = loaded{f, diags}
	return f, diags
}

// pathErr drops the operation and path from a *fs.PathError: the
// diagnostic names the path already.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFileMax reads the file at path, failing if it holds more than max
// bytes (it may have grown since it was stat'ed).
func readFileMax(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	src, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > max {
		return nil, fmt.Errorf("file is more than %d bytes", max)
	}
	return src, nil
}

// kindList names the file kinds, for messages.
const kindList = KindCompPlan + ", " + KindTargetPlan + ", " + KindSettlementPolicy + ", " + KindPlanTest + " or " + KindSettlementTest

// Load parses and validates src as the file named name.
func Load(name string, src []byte) (*File, Diagnostics) {
	return NewLoader().load(name, src)
}

func (l *Loader) load(name string, src []byte) (*File, Diagnostics) {
	r := newReader(name, src)
	f := &File{Path: name}
	root := r.parse(src)
	if root == nil {
		return f, r.diags
	}
	if root.Kind != yaml.MappingNode {
		r.errorf(root, "want a mapping with a kind key (%s), got %s", kindList, kindName(root))
		return f, r.diags
	}
	kinds := []string{KindCompPlan, KindTargetPlan, KindSettlementPolicy, KindPlanTest, KindSettlementTest}
	// The kind key is looked up directly: each kind's reader reads the
	// root mapping again and reports its duplicate and unknown keys.
	var kn *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "kind" {
			kn = root.Content[i+1]
			break
		}
	}
	switch {
	case kn == nil:
		r.errorf(root, "missing required key \"kind\"; want kind: %s", kindList)
		return f, r.diags
	case kn.Kind != yaml.ScalarNode || kn.Tag == "!!null":
		r.errorf(kn, "kind: want %s, got %s", kindList, kindName(kn))
		return f, r.diags
	}
	f.Kind = kn.Value
	switch kn.Value {
	case KindCompPlan:
		f.Comp = r.compPlan(root, src)
	case KindTargetPlan:
		f.Target = r.targetPlan(root, src)
	case KindSettlementPolicy:
		f.Settlement = r.settlementPolicy(root, src)
	case KindPlanTest:
		f.Test = r.testFile(root, l.LoadFile)
	case KindSettlementTest:
		f.SettlementTest = r.settlementTestFile(root, l.LoadFile)
	default:
		msg := fmt.Sprintf("kind: %q is not one of %s", kn.Value, strings.Join(kinds, ", "))
		if sug := rules.Suggest(kn.Value, kinds); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		r.errorf(kn, "%s", msg)
	}
	r.diags.Sort()
	return f, r.diags
}

// Expand turns paths (files or directories) into the list of plan files:
// each directory is walked for .yaml and .yml files, in lexical order.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, filepath.Clean(p))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				out = append(out, filepath.Clean(path))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Check loads every file under paths and returns the files and every problem.
func Check(paths []string) ([]*File, Diagnostics, error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, nil, err
	}
	l := NewLoader()
	var all Diagnostics
	var out []*File
	for _, path := range files {
		f, diags := l.LoadFile(path)
		out = append(out, f)
		all = append(all, diags...)
	}
	return out, all, nil
}

// HashSource returns the content hash that identifies a plan version: the
// hex SHA-256 of its source bytes.
func HashSource(src []byte) string { return hashSource(src) }
