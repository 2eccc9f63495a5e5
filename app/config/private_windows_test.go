package config

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// fileAllAccess is FILE_ALL_ACCESS, what SDDL "FA" grants, which
// x/sys/windows does not define.
const fileAllAccess = windows.STANDARD_RIGHTS_REQUIRED | windows.SYNCHRONIZE | 0x1ff

// localSystem is the SID of the LocalSystem account (SY).
const localSystem = "S-1-5-18"

// onWine reports whether this runs under wine, whose ntdll exports
// wine_get_version.
func onWine() bool {
	ntdll, err := windows.LoadLibrary("ntdll.dll")
	if err != nil {
		return false
	}
	_, err = windows.GetProcAddress(ntdll, "wine_get_version")
	return err == nil
}

// assertPrivate reads path's DACL back. On Windows it must be protected (no
// inherited entries) and hold a single ACE: full access for the current
// user.
//
// Wine 8 does not keep a file's security descriptor: it turns the DACL given
// at creation into Unix permission bits and, when asked, makes a DACL up
// from those bits: full access for SYSTEM and the owner, then entries for
// the group and for Everyone (WD) if their bits are set, never protected.
// So under wine the check is what wine can tell: no ACE for anyone but the
// current user and SYSTEM, i.e. the Unix mode is 0600 (a file created the
// ordinary way gets an Everyone ACE there).
func assertPrivate(t *testing.T, path string) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatalf("read the DACL of %s: %v", path, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("%s: no DACL (%v): %s", path, err, sd)
	}
	me, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	wine := onWine()
	if !wine {
		control, _, err := sd.Control()
		if err != nil {
			t.Fatal(err)
		}
		if control&windows.SE_DACL_PROTECTED == 0 {
			t.Errorf("%s: DACL not protected: %s", path, sd)
		}
		if dacl.AceCount != 1 {
			t.Errorf("%s: %d ACEs, want 1: %s", path, dacl.AceCount, sd)
		}
	}
	mine := false
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			t.Fatal(err)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		switch {
		case ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE && sid.Equals(me) && ace.Mask == fileAllAccess:
			mine = true
		case wine && sid.String() == localSystem:
			// wine's stand-in for the owner's bits; see above
		default:
			t.Errorf("%s: ACE %d (type %d, mask %#x) for %s, want only full access for %s: %s",
				path, i, ace.Header.AceType, ace.Mask, sid, me, sd)
		}
	}
	if !mine {
		t.Errorf("%s: no full-access ACE for the current user %s: %s", path, me, sd)
	}
}
