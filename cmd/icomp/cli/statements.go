package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/reports"
)

// statementFormats are the formats of icomp statement.
var statementFormats = []string{"text", "json", "html", "pdf"}

// writeStatement writes s in format. HTML is a standalone page; PDF is
// deflated, dated 2000-01-01 so the same statement gives the same bytes.
// Explanation links start with linkBase ("" links relative to the web
// server's root).
func writeStatement(w io.Writer, s *reports.Statement, format, linkBase string) error {
	switch format {
	case "json":
		return s.WriteJSON(w)
	case "html":
		return reports.WriteHTML(w, s, reports.HTMLOptions{LinkBase: linkBase})
	case "pdf":
		return reports.WritePDF(w, s, reports.PDFOptions{LinkBase: linkBase})
	}
	return s.WriteText(w)
}

const linkBaseHelp = "address of icomp serve put before each line's explanation link, e.g. https://icomp.example.com (default: links relative to the server's root)"

// statementFileName is "statement-{period}-{person}.{ext}" with every
// byte other than letters, digits, '-', '_' and a '.' that does not start
// the name written as +XX (hex): no separators, no "..", no hidden files,
// and different ids never share a name.
func statementFileName(periodLabel, person, ext string) string {
	return "statement-" + safeName(periodLabel) + "-" + safeName(person) + "." + ext
}

func safeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "+%02x", c)
		}
	}
	return b.String()
}

func newExportStatementsCmd(e *env, db *string) *cobra.Command {
	var periodLabel, dir, formats, linkBase string
	cmd := &cobra.Command{
		Use:   "statements --period P --dir D [--format html,pdf]",
		Short: "Write a statement file for everyone with lines in the period (HTML and/or PDF)",
		Long: `Write one statement per person with ledger lines in the period, as
statement-{period}-{person}.html and/or .pdf in the directory (created if
missing). Existing files are never overwritten: if any file to be written
exists, nothing is written. Prints each file written and a summary.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var exts []string
			for _, f := range strings.Split(formats, ",") {
				f = strings.TrimSpace(f)
				if f != "html" && f != "pdf" {
					return usageError{fmt.Errorf("--format %q: want html, pdf or html,pdf", formats)}
				}
				if !slices.Contains(exts, f) {
					exts = append(exts, f)
				}
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			people, err := reports.StatementPeople(cmd.Context(), ws.store, periodLabel)
			if err != nil {
				return err
			}
			if len(people) == 0 {
				return fmt.Errorf("no ledger lines in %s: has the period been run?", periodLabel)
			}
			// Name every file and refuse before writing any.
			var exist []string
			for _, p := range people {
				for _, ext := range exts {
					path := filepath.Join(dir, statementFileName(periodLabel, p, ext))
					if _, err := os.Lstat(path); err == nil {
						exist = append(exist, path)
					} else if !errors.Is(err, fs.ErrNotExist) {
						return err
					}
				}
			}
			if len(exist) > 0 {
				return fmt.Errorf("%d file(s) already exist, nothing was written (statements are never overwritten; choose another --dir or move them): %s",
					len(exist), strings.Join(exist, ", "))
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			written := 0
			for _, p := range people {
				s, err := reports.BuildStatement(cmd.Context(), ws.store, p, periodLabel)
				if err != nil {
					return fmt.Errorf("statement of %s: %w (%d file(s) written before)", p, err, written)
				}
				for _, ext := range exts {
					var buf bytes.Buffer
					if err := writeStatement(&buf, s, ext, linkBase); err != nil {
						return err
					}
					path := filepath.Join(dir, statementFileName(periodLabel, p, ext))
					if err := writeNewFile(path, buf.Bytes()); err != nil {
						return fmt.Errorf("%w (%d file(s) written before)", err, written)
					}
					written++
					fmt.Fprintln(e.out, path)
				}
			}
			fmt.Fprintf(e.out, "wrote %d file(s): statements of %d people for %s in %s\n", written, len(people), periodLabel, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write into (required)")
	cmd.Flags().StringVar(&formats, "format", "html", "html, pdf or html,pdf")
	cmd.Flags().StringVar(&linkBase, "link-base", "", linkBaseHelp)
	_ = cmd.MarkFlagRequired("period")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// writeNewFile creates path, failing if it exists, and removes what it
// wrote if the write fails.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
