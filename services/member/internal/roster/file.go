package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// The limits of one roster file: a district's roster goes in a few files.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 20_000
	// maxUnzipped bounds what an .xlsx file may expand to, against
	// archives built to expand without end.
	maxUnzipped = 256 << 20
)

// The formats of a roster file.
const (
	FormatDetect = ""
	FormatCSV    = "CSV"
	FormatXLSX   = "XLSX"
)

// table is a roster as read from its file: the header and the rows that
// are not blank, each with its number in the file (the header is row 1).
type table struct {
	header []string
	rows   []tableRow
	// serialDates says that numbers may be Excel date serials.
	serialDates bool
}

type tableRow struct {
	n     int
	cells []string
}

// contentErr is a fault of the whole file, named on the request's content.
func contentErr(format string, args ...any) error {
	return errs.Field(member.ErrInvalid, "content", fmt.Sprintf(format, args...))
}

// readTable reads a roster file in format (detected when FormatDetect).
func readTable(content []byte, format string) (*table, error) {
	if len(content) == 0 {
		return nil, contentErr("the file is empty")
	}
	if len(content) > MaxImportBytes {
		return nil, errs.Field(ErrFileTooLarge, "content",
			fmt.Sprintf("the file has %d bytes, more than the %d one import takes: split the roster", len(content), MaxImportBytes))
	}
	if format == FormatDetect {
		format = detectFormat(content)
	}
	var (
		t   *table
		err error
	)
	switch format {
	case FormatXLSX:
		t, err = readXLSX(content)
	case FormatCSV:
		t, err = readCSV(content)
	default:
		return nil, errs.Field(member.ErrInvalid, "format", "unknown format "+format)
	}
	if err != nil {
		return nil, err
	}
	if len(t.header) == 0 {
		return nil, contentErr("the file has no header row naming the columns")
	}
	return t, nil
}

// oleMagic starts the Excel 97–2003 (.xls) format, and encrypted workbooks.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0}

func detectFormat(content []byte) string {
	if bytes.HasPrefix(content, []byte("PK\x03\x04")) || bytes.HasPrefix(content, oleMagic) {
		return FormatXLSX
	}
	return FormatCSV
}

// readCSV reads comma-separated text in UTF-8, or in GB 18030 (GBK), which
// is what Excel writes on Chinese systems.
func readCSV(content []byte) (*table, error) {
	content = bytes.TrimPrefix(content, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(content) {
		decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(content)
		if err != nil || !utf8.Valid(decoded) {
			return nil, contentErr("the file is neither UTF-8 nor GBK text")
		}
		content = decoded
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := &table{}
	for {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, contentErr("not CSV: %v", err)
		}
		// A record is numbered by the line it starts on: the reader skips
		// empty lines, and a quoted cell may hold line breaks.
		line, _ := r.FieldPos(0)
		if err := t.add(line, cells); err != nil {
			return nil, err
		}
	}
}

// readXLSX reads the first sheet of a workbook, cells as stored (a date is
// its serial number, whatever its display format).
func readXLSX(content []byte) (*table, error) {
	if bytes.HasPrefix(content, oleMagic) {
		return nil, contentErr("an Excel 97–2003 (.xls) or password-protected workbook cannot be read: save it as .xlsx or CSV")
	}
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return nil, contentErr("not an .xlsx workbook")
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, contentErr("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, contentErr("the first sheet cannot be read")
	}
	defer func() { _ = rows.Close() }()
	t := &table{serialDates: true}
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, contentErr("row %d cannot be read", n)
		}
		if err := t.add(n, cells); err != nil {
			return nil, err
		}
	}
	if rows.Error() != nil {
		return nil, contentErr("the first sheet cannot be read")
	}
	return t, nil
}

// add takes row n: the first row that is not blank is the header.
func (t *table) add(n int, cells []string) error {
	blank := true
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
		blank = blank && cells[i] == ""
	}
	switch {
	case blank:
		return nil
	case t.header == nil:
		t.header = cells
		return nil
	case len(t.rows) == MaxImportRows:
		return contentErr("the file has more than %d rows: split the roster", MaxImportRows)
	}
	t.rows = append(t.rows, tableRow{n: n, cells: cells})
	return nil
}
