package roster

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// id18 is a valid number for a birth date, sequence seq.
func id18(birth string, seq int) string {
	first := "610102" + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return first + string(member.CheckCharacter(first))
}

func TestRowsAreReadAsRostersWriteThem(t *testing.T) {
	t.Parallel()
	org := "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"
	today := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := id18("19800115", 11)
	csv := "\xEF\xBB\xBF姓名*, 性别 ,出生日期（yyyy-mm-dd）,身份证号码,学历,入党时间,党员类别,就业状态,技能特长,困难党员,备注\n" +
		"王建国,男,1980年1月15日," + id + ",大专,2005.7.1,预备党员,离退休,调解、 电脑维修；书法,是,ignored\n"
	rows, err := readRows(Request{Content: []byte(csv), OrganisationID: org}, today)
	if err != nil {
		t.Fatal(err)
	}
	want := &member.Member{Name: "王建国", Sex: member.SexMale, BirthDate: time.Date(1980, 1, 15, 0, 0, 0, 0, time.UTC), NationalID: id,
		Education: "COLLEGE", JoinDate: time.Date(2005, 7, 1, 0, 0, 0, 0, time.UTC), Status: member.StatusProbationary,
		EmploymentStatus: "RETIRED", Skills: []string{"调解", "电脑维修", "书法"}, Hardship: true, OrganisationID: org}
	if len(rows) != 1 || len(rows[0].problems) != 0 || rows[0].n != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if diff := cmp.Diff(want, rows[0].m); diff != "" {
		t.Errorf("member (-want +got):\n%s", diff)
	}
}

func TestAGBKFileAndAnExcelDateAreRead(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := id18("19750302", 12)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String("姓名,性别,出生日期,身份证号,入党日期,党员类别\n李娜,女,1975-03-02," + id + ",20010701,正式\n")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readRows(Request{Content: []byte(gbk), OrganisationID: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"}, today)
	if err != nil || len(rows) != 1 || len(rows[0].problems) != 0 || rows[0].m.Name != "李娜" {
		t.Fatalf("GBK: %v %+v", err, rows)
	}

	f := excelize.NewFile()
	for cell, v := range map[string]any{"A1": "姓名", "B1": "性别", "C1": "出生日期", "D1": "身份证号", "E1": "入党日期", "F1": "党员类别",
		"A3": "李娜", "B3": "女", "C3": time.Date(1975, 3, 2, 0, 0, 0, 0, time.UTC), "D3": id, "E3": "2001-07-01", "F3": "正式"} {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err = readRows(Request{Content: buf.Bytes(), OrganisationID: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"}, today)
	if err != nil || len(rows) != 1 {
		t.Fatalf("xlsx: %v %+v", err, rows)
	}
	if r := rows[0]; r.n != 3 || len(r.problems) != 0 || !r.m.BirthDate.Equal(time.Date(1975, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("xlsx row %d, problems %v, born %s", r.n, r.problems, r.m.BirthDate)
	}
}

func TestAFileThatIsNoRosterIsRefusedWhole(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), MaxImportBytes+1)
	many := bytes.NewBufferString("姓名\n")
	for range MaxImportRows + 1 {
		many.WriteString("a\n")
	}
	for name, content := range map[string][]byte{
		"empty":             nil,
		"too large":         big,
		"too many rows":     many.Bytes(),
		"no known column":   []byte("a,b,c\n1,2,3\n"),
		"a column twice":    []byte("姓名,name\nx,y\n"),
		"an .xls workbook":  append([]byte{0xD0, 0xCF, 0x11, 0xE0}, make([]byte, 100)...),
		"a broken zip":      []byte("PK\x03\x04 broken"),
		"neither UTF-8 nor": {0xff, 0xfe, 0xfd, 0x81},
	} {
		_, err := readRows(Request{Content: content}, time.Now())
		if e, ok := errs.As(err); !ok || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "content" {
			t.Errorf("%s: %v, want InvalidArgument on content", name, err)
		}
	}
}
