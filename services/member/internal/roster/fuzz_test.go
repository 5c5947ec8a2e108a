package roster

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gongjian.dev/pkg/textcheck"
)

// The fuzz target of the roster reader: what a roster file can put in
// front of it. `go test` runs its seeds as regression tests; `go test
// -fuzz` explores.

// FuzzRoster: any bytes, read as CSV, GBK CSV or a workbook, give a table
// or a refusal of the whole file, never a panic; every row read either
// has problems or is a member the domain accepts, whose text is clean.
func FuzzRoster(f *testing.F) {
	header := "姓名,性别,出生日期,身份证号,联系电话,学历,入党日期,党员类别,就业状态,工作单位,居住地址,技能特长,困难党员,组织ID\n"
	row := "王建国,男,1960-03-01," + id18("19600301", 7) + ",13800000000,大专,1985-07-01,正式,退休,金川集团,3号楼,调解、书法,否,\n"
	f.Add([]byte(header+row), uint8(0))
	f.Add([]byte("\xEF\xBB\xBF"+header+row+"\n\"quoted,\nline\",女,1970/1/2,x,,,,,,,,,,\n"), uint8(1))
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("姓名,性别,出生日期,身份证号,入党日期,党员类别\n李娜,女,1975-03-02," + id18("19750302", 12) + ",20010701,正式\n")
	f.Add([]byte(gbk), uint8(0))
	f.Add([]byte("name,sex,birth_date,national_id,join_date,status\nLi\x00Na,f,19750302,"+id18("19750302", 12)+",20010701,full\n"), uint8(1))
	wb := excelize.NewFile()
	for cell, v := range map[string]any{"A1": "姓名", "B1": "性别", "C1": "出生日期", "D1": "身份证号", "E1": "入党日期", "F1": "党员类别",
		"A2": "李娜", "B2": "女", "C2": time.Date(1975, 3, 2, 0, 0, 0, 0, time.UTC), "D2": id18("19750302", 12), "E2": 37073, "F2": "正式"} {
		_ = wb.SetCellValue("Sheet1", cell, v)
	}
	var buf bytes.Buffer
	_ = wb.Write(&buf)
	f.Add(buf.Bytes(), uint8(0))
	f.Add(buf.Bytes(), uint8(2))
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0, 0}, uint8(0))
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, content []byte, format uint8) {
		req := Request{Content: content, Format: []string{FormatDetect, FormatCSV, FormatXLSX}[format%3],
			OrganisationID: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"}
		rows, err := readRows(req, today)
		if err != nil {
			return
		}
		if len(rows) > MaxImportRows {
			t.Fatalf("%d rows read, more than %d", len(rows), MaxImportRows)
		}
		for _, r := range rows {
			if len(r.problems) > 0 {
				continue
			}
			m := r.m
			if err := m.Validate(today); err != nil {
				t.Fatalf("row %d has no problem but the domain refuses it: %v", r.n, err)
			}
			for _, s := range append([]string{m.Name, m.Phone, m.Employer, m.Residence.Building, m.NationalID}, m.Skills...) {
				if !utf8.ValidString(s) || !textcheck.Clean(s) {
					t.Fatalf("row %d has no problem but holds %q", r.n, s)
				}
			}
		}
	})
}
