package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

var (
	surnames    = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
	maleChars   = []rune("建国军伟强明华平刚勇磊涛斌志宏海波鹏辉杰峰亮林东文春永俊德成新利忠庆福生宝晓立胜光")
	femaleChars = []rune("芳娟敏静丽艳霞燕玲萍红梅琴英华慧莉秀兰凤桂云洁雪婷琳颖晶倩淑")
)

// people makes up the names, phones and ages of the demo's cadres, grid
// staff and absentees from the plan's random source.
type people struct {
	r     *rand.Rand
	today time.Time
}

func (p *people) name(sex orgv1.Sex) string {
	chars := maleChars
	if sex == orgv1.Sex_SEX_FEMALE {
		chars = femaleChars
	}
	var b strings.Builder
	b.WriteRune(surnames[p.r.IntN(len(surnames))])
	for range 1 + p.r.IntN(2) {
		b.WriteRune(chars[p.r.IntN(len(chars))])
	}
	return b.String()
}

func (p *people) anyone() string {
	if p.r.IntN(2) == 0 {
		return p.name(orgv1.Sex_SEX_MALE)
	}
	return p.name(orgv1.Sex_SEX_FEMALE)
}

func (p *people) phone() string {
	prefixes := []string{"139", "138", "137", "136", "135", "158", "159", "186", "187", "189", "133", "177"}
	return fmt.Sprintf("%s%08d", prefixes[p.r.IntN(len(prefixes))], p.r.IntN(100_000_000))
}

// birthDate is a date on which someone born then is exactly age today: the
// birthday fell between one and 330 days ago.
func (p *people) birthDate(age int) string {
	return p.today.AddDate(-age, 0, -(1 + p.r.IntN(330))).Format(dateLayout)
}

// between draws an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	return lo + r.IntN(hi-lo+1)
}

// split divides total into n parts of at least min each, at random, the
// parts summing to total exactly.
func split(r *rand.Rand, total, n, min int) []int {
	parts := make([]int, n)
	weights := make([]float64, n)
	var sum float64
	for i := range weights {
		weights[i] = 0.6 + r.Float64()
		sum += weights[i]
	}
	left := total - n*min
	given := 0
	for i := range parts {
		extra := int(float64(left) * weights[i] / sum)
		parts[i] = min + extra
		given += extra
	}
	for i := 0; given < left; i = (i + 1) % n {
		parts[i]++
		given++
	}
	return parts
}

var numerals = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// chineseNumber writes 1–99 as in "第十四网格".
func chineseNumber(n int) string {
	switch {
	case n <= 10:
		return numerals[n]
	case n < 20:
		return "十" + numerals[n-10]
	case n%10 == 0:
		return numerals[n/10] + "十"
	default:
		return numerals[n/10] + "十" + numerals[n%10]
	}
}
