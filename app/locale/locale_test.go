package locale

import (
	"testing"
)

func TestLanguageFix(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // "" means: leave the environment alone
	}{
		{"nothing set", nil, ""},
		{"LANG=C", map[string]string{"LANG": "C"}, ""},
		{"LANG=POSIX", map[string]string{"LANG": "POSIX"}, ""},
		{"LANG=C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"LANG=C.utf8", map[string]string{"LANG": "C.utf8"}, "en"},
		{"LANG=POSIX.UTF-8", map[string]string{"LANG": "POSIX.UTF-8"}, "en"},
		{"LANG=en_US.UTF-8", map[string]string{"LANG": "en_US.UTF-8"}, ""},
		{"LANG=de_DE.UTF-8@euro", map[string]string{"LANG": "de_DE.UTF-8@euro"}, ""},
		{"LANG=de_DE@euro", map[string]string{"LANG": "de_DE@euro"}, "de_DE"},
		{"LANG=sr_RS@latin", map[string]string{"LANG": "sr_RS@latin"}, "sr_RS"},
		{"LC_ALL=C.UTF-8 wins over LANG", map[string]string{"LC_ALL": "C.UTF-8", "LANG": "en_US.UTF-8"}, "en"},
		{"LC_ALL=C silences LANG=C.UTF-8", map[string]string{"LC_ALL": "C", "LANG": "C.UTF-8"}, ""},
		{"LC_MESSAGES=C.UTF-8", map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "en"},
		{"LANGUAGE ignored under C", map[string]string{"LANG": "C", "LANGUAGE": "C.UTF-8"}, ""},
		{"LANGUAGE fine under C.UTF-8", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "de_DE:de"}, ""},
		{"LANGUAGE with an empty entry", map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "de:"}, "de"},
		{"LANGUAGE with a C entry", map[string]string{"LANG": "en_GB.UTF-8", "LANGUAGE": "C.UTF-8:fr"}, "fr"},
		{"LANGUAGE alone", map[string]string{"LANGUAGE": "C.UTF-8"}, "en"},
		{"script and region", map[string]string{"LANGUAGE": "zh_Hant_TW:zh"}, ""},
		{"numeric region", map[string]string{"LANG": "es_419.UTF-8"}, ""},
		{"colon list in LANG", map[string]string{"LANG": "C.UTF-8:pt_BR"}, "pt_BR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := languageFix(func(k string) string { return tt.env[k] })
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("languageFix = %q, %t; want %q, %t", got, ok, tt.want, tt.want != "")
			}
			if ok {
				// The fixed environment needs no further fix.
				fixed := func(k string) string {
					if k == "LANGUAGE" {
						return got
					}
					return tt.env[k]
				}
				if again, ok := languageFix(fixed); ok {
					t.Errorf("after the fix, languageFix still wants %q", again)
				}
			}
		})
	}
}
