package requests_test

import (
	"testing"

	"gongjian.dev/services/cobuilding/internal/requests"
)

func TestPersonalDataIsMaskedWhateverItsLength(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, name, phone, address string }{
		{"", "", "", ""},
		{"李", "*", "*", "*"},
		{"欧阳", "欧*", "**", "**"},
		{"张秀英", "张**", "***", "***"},
		{"13845671234", "1**********", "138****1234", "138456****"},
		{"0454-2345678", "0***********", "045*****5678", "0454-2****"},
		{"12345", "1****", "***45", "*****"},
		{"新华小区3号楼2单元501", "新************", "新华小******元501", "新华小区3号****"},
	} {
		if got := requests.MaskName(tt.in); got != tt.name {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.name)
		}
		if got := requests.MaskPhone(tt.in); got != tt.phone {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.phone)
		}
		if got := requests.MaskAddress(tt.in); got != tt.address {
			t.Errorf("MaskAddress(%q) = %q, want %q", tt.in, got, tt.address)
		}
	}
}
