package org

import "strings"

var kindNames = map[Kind]string{
	City: "city committee", District: "district committee", Street: "street or town committee",
	Community: "community", GeneralBranch: "general branch", Branch: "branch", PartyGroup: "party group",
	Grid: "grid", BuildingBranch: "building branch", TemporaryBranch: "temporary branch",
	ResidentUnit: "resident-unit organisation", LiaisonStation: "liaison station",
}

func kindWord(k Kind) string {
	if w, ok := kindNames[k]; ok {
		return w
	}
	return string(k)
}

func kindWords(ks []Kind) string {
	if len(ks) == 0 {
		return "nothing (it is the root)"
	}
	ws := make([]string, len(ks))
	for i, k := range ks {
		ws[i] = kindWord(k)
	}
	return strings.Join(ws, ", ")
}
