package mongostore

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/guanjia/guanjia"
)

// Imports read a whole CSV file (a header row, then one record a row) and check every row
// before writing any: a file with any bad row imports nothing, and the operator sees each bad
// row by its line number. Writes are upserts under meaningful ids, so importing a file again
// changes nothing. With no transactions a database failure half-way can leave part of a good
// file written; importing it again completes it.

// RowError is one problem with an import file, at a line of it.
type RowError struct {
	Line   int
	Reason string
}

// ImportError lists every problem of an import file; nothing of the file was imported. It
// wraps guanjia.ErrInvalid.
type ImportError struct {
	// Kind is what was imported: households, residents, readings, payments or faq.
	Kind string
	Rows []RowError
}

// Error lists the problems, one a line.
func (e *ImportError) Error() string {
	var b strings.Builder
	noun := "problems"
	if len(e.Rows) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "import %s: %d %s, nothing imported:", e.Kind, len(e.Rows), noun)
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\n  line %d: %s", r.Line, r.Reason)
	}
	return b.String()
}

// Unwrap makes an ImportError an invalid-input error.
func (e *ImportError) Unwrap() error { return guanjia.ErrInvalid }

// problems collects RowErrors while a file is checked.
type problems []RowError

func (p *problems) add(line int, format string, args ...any) {
	*p = append(*p, RowError{Line: line, Reason: fmt.Sprintf(format, args...)})
}

// err is the *ImportError of the problems found, or nil when there are none.
func (p problems) err(kind string) error {
	if len(p) == 0 {
		return nil
	}
	rows := slices.Clone(p)
	slices.SortStableFunc(rows, func(a, b RowError) int { return a.Line - b.Line })
	return &ImportError{Kind: kind, Rows: rows}
}

// row is one record of a CSV file with the line it starts on.
type row struct {
	line   int
	fields []string
	cols   map[string]int
}

// get is the trimmed value of a column, "" when the file has no such column.
func (r row) get(col string) string {
	i, ok := r.cols[col]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// readCSV reads a file with a header row naming at least the required columns; optional
// ones may be there too. Names are matched without regard to case or surrounding spaces, and
// a spreadsheet's byte-order mark is ignored. Problems of the file's shape are added to bad.
func readCSV(r io.Reader, required, optional []string, bad *problems) []row {
	known := len(*bad)
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, so that every short row is reported
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "empty file: want a header row %s", strings.Join(required, ","))
		return nil
	}
	if err != nil {
		bad.add(csvLine(err, 1), "%v", csvCause(err))
		return nil
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(required, name) && !slices.Contains(optional, name):
			bad.add(1, "unknown column %q (want %s)", h, strings.Join(append(slices.Clone(required), optional...), ","))
		case hasCol(cols, name):
			bad.add(1, "column %q twice", name)
		default:
			cols[name] = i
		}
	}
	for _, c := range required {
		if !hasCol(cols, c) {
			bad.add(1, "no column %q (want %s)", c, strings.Join(required, ","))
		}
	}
	if len(*bad) > known {
		return nil // with the columns in doubt, every row would be reported too
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The reader cannot find where a broken quote ends; the rest is not read.
			bad.add(csvLine(err, 0), "%v", csvCause(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			bad.add(line, "%d fields, want %d as in the header", len(rec), len(header))
			continue
		}
		rows = append(rows, row{line: line, fields: rec, cols: cols})
	}
	if len(rows) == 0 && len(*bad) == known {
		bad.add(2, "no rows under the header")
	}
	return rows
}

func hasCol(cols map[string]int, name string) bool { _, ok := cols[name]; return ok }

func csvLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return def
}

func csvCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseCenti reads a non-negative decimal with at most two decimals ("120.5", "1523.00") as
// hundredths.
func parseCenti(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole, "+-") || strings.ContainsAny(frac, "+-") {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1e12 {
		return 0, false
	}
	frac += strings.Repeat("0", 2-len(frac))
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return w*100 + f, true
}
