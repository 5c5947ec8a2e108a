package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Exports: GET /v1/exports/{list}?<the list's own filters> answers the
// rows those filters select, every page of them, as an .xlsx workbook with
// Chinese headings. The gateway pages through the list's own REST route in
// process with the caller's token, so an export sees exactly what the list
// shows the caller: the same filters, the same access checks, the same
// masking of ID numbers, and an audit record of every page read. Rows go
// to the workbook page by page through excelize's stream writer, so a
// district's members are never all in memory at once.

// exportPrefix is where the exports are served.
const exportPrefix = "/v1/exports/"

// exportPageSize is how many rows each page read asks for.
const exportPageSize = 500

// maxExportRows keeps a workbook below Excel's limit of 1,048,576 rows.
const maxExportRows = 1_000_000

// exportColumn is one column of a workbook.
type exportColumn struct {
	heading string
	// field is the path of the value in a row of the list's JSON
	// ("residence.communityId").
	field string
	// kind says how the value is written: "" as it is, "enum" by its
	// Chinese label, "org" by the name of the organisation it names,
	// "bool" as 是/否, "time" as local date and time.
	kind  string
	width float64
}

// exportList is one list that can be exported.
type exportList struct {
	// route is the list's REST route; a {param} in it (a round's groups)
	// is filled from the export's query parameter of that name.
	route   string
	items   string // the JSON field of the page holding the rows
	sheet   string // the sheet's and the file's name
	columns []exportColumn
}

// exportLists is the table of exportable lists: a list joins by its line,
// in the table of its area.
var exportLists = joinExports(peopleExports, cobuildingExports, supervisionExports, duesExports)

// joinExports is one table of the areas' tables.
func joinExports(tables ...map[string]exportList) map[string]exportList {
	out := map[string]exportList{}
	for _, t := range tables {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

// peopleExports are the organisation and member services' lists.
var peopleExports = map[string]exportList{
	"organisations": {route: "/v1/organisations", items: "organisations", sheet: "组织", columns: []exportColumn{
		{heading: "组织名称", field: "name", width: 36},
		{heading: "类型", field: "kind", kind: "enum", width: 14},
		{heading: "上级组织", field: "parentId", kind: "org", width: 32},
		{heading: "组织代码", field: "code", width: 16},
		{heading: "党员数", field: "memberCount", width: 10},
		{heading: "状态", field: "state", kind: "enum", width: 10},
		{heading: "成立日期", field: "foundingDate", width: 12},
		{heading: "组织ID", field: "id", width: 38},
	}},
	"members": {route: "/v1/members", items: "members", sheet: "党员", columns: []exportColumn{
		{heading: "姓名", field: "name", width: 12},
		{heading: "性别", field: "sex", kind: "enum", width: 6},
		{heading: "出生日期", field: "birthDate", width: 12},
		{heading: "身份证号", field: "nationalId", width: 22},
		{heading: "联系电话", field: "phone", width: 14},
		{heading: "学历", field: "education", kind: "enum", width: 10},
		{heading: "入党日期", field: "joinDate", width: 12},
		{heading: "党员类别", field: "status", kind: "enum", width: 10},
		{heading: "就业状态", field: "employmentStatus", kind: "enum", width: 10},
		{heading: "工作单位", field: "employer", width: 24},
		{heading: "管理类别", field: "categoryName", width: 10},
		{heading: "所在党组织", field: "organisationId", kind: "org", width: 32},
		{heading: "居住社区", field: "residence.communityId", kind: "org", width: 28},
		{heading: "楼栋", field: "residence.building", width: 12},
		{heading: "技能特长", field: "skills", width: 20},
		{heading: "困难党员", field: "hardship", kind: "bool", width: 8},
		{heading: "星级", field: "starRating", width: 6},
		{heading: "党员ID", field: "id", width: 38},
	}},
	"transfers":      {route: "/v1/transfers", items: "transfers", sheet: "组织关系转接", columns: transferColumns},
	"pocket-members": {route: "/v1/transfers:pocket", items: "transfers", sheet: "口袋党员", columns: transferColumns},
	"mobile-records": {route: "/v1/mobile-records", items: "records", sheet: "流动党员", columns: []exportColumn{
		{heading: "方向", field: "direction", kind: "enum", width: 8},
		{heading: "状态", field: "state", kind: "enum", width: 10},
		{heading: "党员ID", field: "memberId", width: 38},
		{heading: "原组织", field: "homeOrganisationId", kind: "org", width: 30},
		{heading: "流入地", field: "place", width: 24},
		{heading: "外出时间", field: "since", width: 12},
		{heading: "原因", field: "reason", width: 20},
		{heading: "联系电话", field: "contactPhone", width: 14},
		{heading: "联系逾期", field: "contactOverdue", kind: "bool", width: 8},
		{heading: "应联系时间", field: "contactDueTime", kind: "time", width: 18},
	}},
}

var transferColumns = []exportColumn{
	{heading: "党员ID", field: "memberId", width: 38},
	{heading: "转出组织", field: "fromOrganisationId", kind: "org", width: 30},
	{heading: "转入组织", field: "toOrganisationId", kind: "org", width: 30},
	{heading: "状态", field: "state", kind: "enum", width: 10},
	{heading: "介绍信编号", field: "letterNumber", width: 18},
	{heading: "介绍信有效期至", field: "letterDeadline", width: 14},
	{heading: "转接原因", field: "reason", width: 24},
	{heading: "发起时间", field: "createTime", kind: "time", width: 18},
	{heading: "更新时间", field: "updateTime", kind: "time", width: 18},
}

// exporter serves the exports over the gateway's own API handler.
type exporter struct {
	api http.Handler
	log *slog.Logger
	loc *time.Location
}

func newExporter(api http.Handler, log *slog.Logger) *exporter {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600) // no tzdata: China has one zone and no DST
	}
	return &exporter{api: api, log: log, loc: loc}
}

// pageError is a list page the API refused: its answer goes to the client
// as it is, in the API's error shape.
type pageError struct {
	code int
	body []byte
}

func (e *pageError) Error() string { return fmt.Sprintf("list page: HTTP %d", e.code) }

func (x *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, exportPrefix)
	list, ok := exportLists[name]
	if !ok {
		x.fail(w, r, http.StatusNotFound, status.New(codes.NotFound, "no export named "+strconv.Quote(name)))
		return
	}
	token := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer"))
	query := r.URL.Query()
	query.Del("pageToken")
	query.Del("page_token")
	route, err := fillRoute(list.route, query)
	if err != nil {
		x.fail(w, r, http.StatusBadRequest, err.(*fieldError).status())
		return
	}
	list.route = route
	book, rows, err := x.build(r.Context(), list, query, token)
	if err != nil {
		var pe *pageError
		if ok := asPageError(err, &pe); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(pe.code)
			_, _ = w.Write(pe.body)
			return
		}
		x.fail(w, r, http.StatusBadRequest, status.New(codes.InvalidArgument, err.Error()))
		return
	}
	defer func() { _ = book.Close() }()
	file := fmt.Sprintf("%s-%s.xlsx", list.sheet, time.Now().In(x.loc).Format("20060102-1504"))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename=\"export.xlsx\"; filename*=UTF-8''"+url.PathEscape(file))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Export-Rows", strconv.Itoa(rows))
	if err := book.Write(w); err != nil {
		x.log.WarnContext(r.Context(), "export not written", "error", err.Error())
	}
}

func asPageError(err error, target **pageError) bool {
	pe, ok := err.(*pageError)
	if ok {
		*target = pe
	}
	return ok
}

func (x *exporter) fail(w http.ResponseWriter, r *http.Request, httpStatus int, st *status.Status) {
	writeError(r.Context(), x.log, w, newJSONMarshaler(), httpStatus, st)
}

// build reads every page of the list and writes its rows into a workbook.
func (x *exporter) build(ctx context.Context, list exportList, query url.Values, token string) (*excelize.File, int, error) {
	book := excelize.NewFile()
	if err := book.SetSheetName("Sheet1", list.sheet); err != nil {
		return nil, 0, err
	}
	sw, err := book.NewStreamWriter(list.sheet)
	if err != nil {
		return nil, 0, err
	}
	for i, c := range list.columns {
		_ = sw.SetColWidth(i+1, i+1, c.width)
	}
	bold, _ := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	heading := make([]any, len(list.columns))
	for i, c := range list.columns {
		heading[i] = excelize.Cell{Value: c.heading, StyleID: bold}
	}
	if err := sw.SetRow("A1", heading, excelize.RowOpts{}); err != nil {
		return nil, 0, err
	}
	names := &names{x: x, ctx: ctx, token: token, names: map[string]string{}}
	rows, pageToken := 0, ""
	for {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("pageSize", strconv.Itoa(exportPageSize))
		if pageToken != "" {
			q.Set("pageToken", pageToken)
		}
		page, next, err := x.page(ctx, list, q, token)
		if err != nil {
			_ = book.Close()
			return nil, 0, err
		}
		for _, item := range page {
			if rows >= maxExportRows {
				_ = book.Close()
				return nil, 0, fmt.Errorf("the filters select more than %d rows: narrow them", maxExportRows)
			}
			rows++
			cell, _ := excelize.CoordinatesToCellName(1, rows+1)
			if err := sw.SetRow(cell, x.row(list, item, names)); err != nil {
				_ = book.Close()
				return nil, 0, err
			}
		}
		if next == "" {
			break
		}
		pageToken = next
	}
	if err := sw.Flush(); err != nil {
		_ = book.Close()
		return nil, 0, err
	}
	return book, rows, nil
}

// page reads one page of the list.
func (x *exporter) page(ctx context.Context, list exportList, q url.Values, token string) ([]map[string]any, string, error) {
	rec, err := getInProcess(ctx, x.api, list.route, q, token)
	if err != nil {
		return nil, "", err
	}
	if rec.code != http.StatusOK {
		return nil, "", &pageError{code: rec.code, body: rec.body.Bytes()}
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rec.body.Bytes(), &body); err != nil {
		return nil, "", fmt.Errorf("list page: %w", err)
	}
	var items []map[string]any
	if raw, ok := body[list.items]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, "", fmt.Errorf("list page: %w", err)
		}
	}
	var next string
	if raw, ok := body["nextPageToken"]; ok {
		_ = json.Unmarshal(raw, &next)
	}
	return items, next, nil
}

// row is one row of the workbook.
func (x *exporter) row(list exportList, item map[string]any, names *names) []any {
	out := make([]any, len(list.columns))
	for i, c := range list.columns {
		v := lookup(item, c.field)
		switch c.kind {
		case "enum":
			s, _ := v.(string)
			v = enumLabel(s)
		case "org", "unit":
			v = names.each(c.kind, v)
		case "yuan":
			v = yuan(v)
		case "percent":
			v = percent(v)
		case "bool":
			if b, _ := v.(bool); b {
				v = "是"
			} else {
				v = "否"
			}
		case "time":
			if s, _ := v.(string); s != "" {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					v = t.In(x.loc).Format("2006-01-02 15:04")
				}
			}
		}
		out[i] = cellValue(v)
	}
	return out
}

// cellValue turns a JSON value into what a cell holds: lists joined by
// the Chinese enumeration comma, numbers as numbers (int64 fields arrive as
// strings in protojson and stay text: they are counts and ids).
func cellValue(v any) any {
	switch v := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, "、")
	case map[string]any:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return v
	}
}

// lookup follows a dotted path into a JSON object.
func lookup(item map[string]any, path string) any {
	var cur any = item
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// names resolves the ids of organisations ("org") and resident units
// ("unit") to their names once each per export, with the caller's own
// token: one outside their reach stays an id.
type names struct {
	x     *exporter
	ctx   context.Context
	token string
	names map[string]string
}

// nameRoutes says where a kind of id is read and which field of the
// answer holds the resource.
var nameRoutes = map[string]struct{ route, field string }{
	"org":  {"/v1/organisations/", "organisation"},
	"unit": {"/v1/resident-units/", "residentUnit"},
}

// each is the name of the id v, or the names of a list of ids joined by
// the Chinese enumeration comma.
func (o *names) each(kind string, v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, _ := e.(string)
			parts = append(parts, o.name(kind, s))
		}
		return strings.Join(parts, "、")
	}
	s, _ := v.(string)
	return o.name(kind, s)
}

func (o *names) name(kind, id string) string {
	if id == "" {
		return ""
	}
	key := kind + ":" + id
	if n, ok := o.names[key]; ok {
		return n
	}
	n, at := id, nameRoutes[kind]
	rec, err := getInProcess(o.ctx, o.x.api, at.route+url.PathEscape(id), url.Values{}, o.token)
	if err == nil && rec.code == http.StatusOK {
		var body map[string]struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(rec.body.Bytes(), &body) == nil && body[at.field].Name != "" {
			n = body[at.field].Name
		}
	}
	o.names[key] = n
	return n
}

// fieldError is a parameter of an export that is missing.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func (e *fieldError) status() *status.Status {
	st, _ := status.New(codes.InvalidArgument, e.Error()).WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: e.field, Description: e.msg}},
	})
	return st
}

// fillRoute puts the query's value of each {param} of route into it, and
// takes the parameter out of the query.
func fillRoute(route string, query url.Values) (string, error) {
	for {
		i := strings.IndexByte(route, '{')
		if i < 0 {
			return route, nil
		}
		j := strings.IndexByte(route[i:], '}')
		if j < 0 {
			return route, nil
		}
		param := route[i+1 : i+j]
		v := query.Get(param)
		if v == "" {
			return "", &fieldError{field: snake(param), msg: "this export lists what belongs to one " + snake(param) + ": give it"}
		}
		query.Del(param)
		route = route[:i] + url.PathEscape(v) + route[i+j+1:]
	}
}

// snake is the proto name of a JSON field name (roundId → round_id).
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// enumLabel is the Chinese label of an enum value, or the value itself.
func enumLabel(v string) string {
	if l, ok := enumLabels[v]; ok {
		return l
	}
	return v
}

// enumLabels are the Chinese names of the enum values exports show; the
// console's locale files hold the same names for the screen.
var enumLabels = map[string]string{
	"SEX_MALE": "男", "SEX_FEMALE": "女",
	"EDUCATION_PRIMARY": "小学", "EDUCATION_JUNIOR_HIGH": "初中", "EDUCATION_HIGH_SCHOOL": "高中/中专",
	"EDUCATION_COLLEGE": "大专", "EDUCATION_BACHELOR": "本科", "EDUCATION_POSTGRADUATE": "研究生",
	"MEMBER_STATUS_FULL": "正式党员", "MEMBER_STATUS_PROBATIONARY": "预备党员",
	"EMPLOYMENT_STATUS_EMPLOYED": "在职", "EMPLOYMENT_STATUS_RETIRED": "离退休", "EMPLOYMENT_STATUS_LAID_OFF": "下岗",
	"EMPLOYMENT_STATUS_UNEMPLOYED": "失业", "EMPLOYMENT_STATUS_STUDENT": "学生", "EMPLOYMENT_STATUS_SELF_EMPLOYED": "个体",
	"EMPLOYMENT_STATUS_OTHER": "其他",
	"ORGANISATION_KIND_CITY":  "市委", "ORGANISATION_KIND_DISTRICT": "区(县)委", "ORGANISATION_KIND_STREET": "街道(乡镇)党(工)委",
	"ORGANISATION_KIND_COMMUNITY": "社区党组织", "ORGANISATION_KIND_GENERAL_BRANCH": "党总支", "ORGANISATION_KIND_BRANCH": "党支部",
	"ORGANISATION_KIND_PARTY_GROUP": "党小组", "ORGANISATION_KIND_GRID": "网格", "ORGANISATION_KIND_BUILDING_BRANCH": "楼宇党支部",
	"ORGANISATION_KIND_TEMPORARY_BRANCH": "临时党支部", "ORGANISATION_KIND_RESIDENT_UNIT": "驻区单位党组织",
	"ORGANISATION_KIND_LIAISON_STATION": "联络站",
	"ORGANISATION_STATE_ACTIVE":         "正常", "ORGANISATION_STATE_DISSOLVED": "已撤销",
	"TRANSFER_STATE_REQUESTED": "已申请", "TRANSFER_STATE_CONFIRMED": "本人已确认", "TRANSFER_STATE_RELEASED": "已开具介绍信",
	"TRANSFER_STATE_COMPLETED": "已办结", "TRANSFER_STATE_REJECTED": "已退回", "TRANSFER_STATE_WITHDRAWN": "已撤回",
	"TRANSFER_STATE_SUSPENDED": "已暂停",
	"MOBILE_DIRECTION_OUTFLOW": "流出", "MOBILE_DIRECTION_INFLOW": "流入",
	"MOBILE_STATE_AWAY": "在外", "MOBILE_STATE_TEMPORARY": "已建临时关系", "MOBILE_STATE_ENDED": "已结束",
}

func init() {
	for _, m := range []map[string]string{cobuildingLabels, supervisionLabels, duesLabels} {
		for k, v := range m {
			enumLabels[k] = v
		}
	}
}
