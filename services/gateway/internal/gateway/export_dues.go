package gateway

import (
	"fmt"
	"strconv"
)

// The member service's party dues ledger, as workbooks: a branch's monthly
// ledger (/v1/exports/dues-ledger?organisationId=…&month=YYYY-MM) and its
// arrears (/v1/exports/dues-arrears?organisationId=…[&subtree=true]).
// Amounts arrive in fen and are written in yuan to the fen, computed in
// integers.
var duesExports = map[string]exportList{
	"dues-ledger": {route: "/v1/dues-bills", items: "bills", sheet: "党费收缴台账", columns: []exportColumn{
		{heading: "姓名", field: "memberName", width: 12},
		{heading: "月份", field: "month", width: 10},
		{heading: "月收入(元)", field: "monthlyIncomeFen", kind: "yuan", width: 12},
		{heading: "缴费标准", field: "kind", kind: "enum", width: 10},
		{heading: "比例(%)", field: "rateBasisPoints", kind: "percent", width: 8},
		{heading: "减免", field: "exempt", kind: "bool", width: 6},
		{heading: "应缴(元)", field: "amountFen", kind: "yuan", width: 10},
		{heading: "已缴(元)", field: "paidFen", kind: "yuan", width: 10},
		{heading: "欠缴(元)", field: "owedFen", kind: "yuan", width: 10},
		{heading: "党支部", field: "organisationId", kind: "org", width: 30},
		{heading: "党员ID", field: "memberId", width: 38},
	}},
	"dues-arrears": {route: "/v1/dues-arrears", items: "arrears", sheet: "党费欠缴名单", columns: []exportColumn{
		{heading: "姓名", field: "memberName", width: 12},
		{heading: "党支部", field: "organisationId", kind: "org", width: 30},
		{heading: "欠缴月份", field: "months", width: 40},
		{heading: "欠缴金额(元)", field: "owedFen", kind: "yuan", width: 12},
		{heading: "党员ID", field: "memberId", width: 38},
	}},
}

// duesLabels are the Chinese names of the dues enums the exports show.
var duesLabels = map[string]string{
	"DUES_BAND_KIND_IN_SERVICE": "在职", "DUES_BAND_KIND_RETIRED": "离退休", "DUES_BAND_KIND_FIXED": "定额",
}

// yuan writes an amount in fen (a protojson int64: a string) as yuan to the
// fen: "4000" → "40.00". Absent (zero) is "0.00".
func yuan(v any) any {
	s, _ := v.(string)
	if s == "" {
		s = "0"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return v
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// percent writes basis points as a percentage: "150" → "1.5".
func percent(v any) any {
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return ""
	}
	return strconv.FormatFloat(float64(n)/100, 'f', -1, 64)
}
