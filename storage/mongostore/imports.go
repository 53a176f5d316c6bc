package mongostore

import (
	"bytes"
	"unicode/utf8"

	"encoding/csv"
	"errors"
	"fmt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"io"
	"slices"
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
	// Imported is how many rows were written before a row was refused while writing (a
	// payment recorded in chat meanwhile): 0 for a file refused when checked, which imports
	// nothing.
	Imported int
}

// Outcome says what became of the file: nothing imported, or the rows before the refused one.
func (e *ImportError) Outcome() string {
	if e.Imported > 0 {
		return fmt.Sprintf("前 %d 行已导入，其余没有导入", e.Imported)
	}
	return "整个文件都没有导入"
}

// Error lists the problems, one a line. The reasons are written for the office, in Chinese,
// so the lines around them are too.
func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "导入 %s 有 %d 处问题，%s：", e.Kind, len(e.Rows), e.Outcome())
	e.List(&b)
	return b.String()
}

// ListedProblems is how many problems an ImportError lists: a file of ten thousand bad rows
// is mended from its first few, not read to the end in a terminal.
const ListedProblems = 50

// List writes the first ListedProblems problems, one a line, and how many more there are.
func (e *ImportError) List(w io.Writer) {
	for i, r := range e.Rows {
		if i == ListedProblems {
			fmt.Fprintf(w, "\n  ……另有 %d 处问题没有列出，请先改正以上各行后再导入一次查看。", len(e.Rows)-ListedProblems)
			break
		}
		fmt.Fprintf(w, "\n  第 %d 行：%s", r.Line, r.Reason)
	}
}

// Unwrap makes an ImportError an invalid-input error.
func (e *ImportError) Unwrap() error { return guanjia.ErrInvalid }

// problems collects RowErrors while a file is checked. Reasons are for the office: polite
// Simplified Chinese, naming a column as the file's header does (area_m2, paid_at) and a value
// in 「」, and saying what would be right, with an example where a format must be exact.
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

// get is the trimmed value of a column, "" when the file has no such column. Control
// characters (a terminal's escape sequences among them) are dropped: what is imported is
// shown to residents, staff and the operator's terminal.
func (r row) get(col string) string {
	i, ok := r.cols[col]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(guanjia.StripControl(r.fields[i], true))
}

// readCSV reads a file with a header row naming at least the required columns; optional
// ones may be there too. Names are matched without regard to case or surrounding spaces, and
// a spreadsheet's byte-order mark is ignored. Problems of the file's shape are added to bad.
func readCSV(r io.Reader, required, optional []string, bad *problems) []row {
	known := len(*bad)
	text, err := decodeText(r)
	if err != nil {
		bad.add(1, "%s", err.Error())
		return nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1 // counted here, so that every short row is reported
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "文件是空的，第一行应为表头 %s", strings.Join(required, ","))
		return nil
	}
	if err != nil {
		bad.add(csvLine(err, 1), "%s", csvProblem(err))
		return nil
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(required, name) && !slices.Contains(optional, name):
			bad.add(1, "表头中的列名「%s」无法识别，应为 %s 之一", h, strings.Join(append(slices.Clone(required), optional...), ","))
		case hasCol(cols, name):
			bad.add(1, "表头中的列名「%s」出现了两次", name)
		default:
			cols[name] = i
		}
	}
	for _, c := range required {
		if !hasCol(cols, c) {
			bad.add(1, "表头缺少列 %s，应包含 %s", c, strings.Join(required, ","))
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
			bad.add(csvLine(err, 0), "%s", csvProblem(err))
			break
		}
		line, _ := cr.FieldPos(0)
		switch {
		case len(rec) < len(header):
			bad.add(line, "本行只有 %d 列，表头有 %d 列：空着的格也要用逗号隔开", len(rec), len(header))
			continue
		case len(rec) > len(header):
			bad.add(line, "本行有 %d 列，比表头的 %d 列多：内容里有逗号时，请用英文双引号 \" 把整格括起来", len(rec), len(header))
			continue
		}
		rows = append(rows, row{line: line, fields: rec, cols: cols})
	}
	if len(rows) == 0 && len(*bad) == known {
		bad.add(2, "表头下面没有数据行")
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

// csvProblem says in the office's words what the CSV reader could not read.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `没有用引号括起的格里出现了英文双引号 "：请把整格用 " 括起来，格内的 " 写成 ""`
	case errors.Is(err, csv.ErrQuote):
		return `英文双引号 " 没有配对，从这里起文件读不下去了：请检查引号是否成对，格内的 " 要写成 ""`
	}
	return fmt.Sprintf("读取文件时出错（%v）", err)
}

// parseCenti reads a non-negative decimal with at most two decimals ("120.5", "1523.00") as
// hundredths, at most max hundredths.
func parseCenti(s string, max int64) (int64, bool) {
	v, err := guanjia.ParseCenti(strings.TrimSpace(s), max)
	return v, err == nil
}

// Limits of imported quantities, in hundredths: a home's floor area and a meter's reading (8
// digits before the point, as meters show).
const (
	maxAreaCenti    = 10_000_00
	maxReadingCenti = 99_999_999_99
)

// decodeText reads a whole file as text. Spreadsheets save CSV files as UTF-8 with or without
// a byte-order mark, as UTF-16 ("Unicode text") or, on a Chinese Windows, as GBK; each is
// read as what it is, and lines may end in CRLF, LF or a lone CR. Anything else is refused,
// saying why, rather than imported garbled.
func decodeText(r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("读取文件时出错（%v）", err)
	}
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		if b, err = dec.Bytes(b); err != nil {
			return "", fmt.Errorf("文件是 UTF-16 编码，但内容读不通（%v）：请在表格软件里另存为「CSV UTF-8」", err)
		}
	case !utf8.Valid(b):
		gbk, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil || !utf8.Valid(gbk) || strings.ContainsRune(string(gbk), utf8.RuneError) {
			return "", fmt.Errorf("文件既不是 UTF-8 也不是 GBK 编码，无法读取：请在表格软件里另存为「CSV UTF-8」")
		}
		b = gbk
	}
	if bytes.ContainsRune(b, 0) {
		return "", fmt.Errorf("文件里有空字符，不像是 CSV 文本文件：请在表格软件里另存为「CSV UTF-8」")
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.ReplaceAll(text, "\r", "\n"), nil
}
