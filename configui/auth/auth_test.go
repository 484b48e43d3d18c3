package auth

import "testing"

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := Verify(h, "wrong"); ok {
		t.Fatal("wrong password accepted")
	}
	if h2, _ := Hash("correct horse"); h2 == h {
		t.Fatal("no salt")
	}
	if ok, err := Verify(NoPassword, ""); ok || err != nil {
		t.Fatalf("SSO-only user: %v %v", ok, err)
	}
}

func TestRoles(t *testing.T) {
	if !AtLeast(Admin, Operator) || !AtLeast(Operator, Viewer) || AtLeast(Viewer, Operator) || AtLeast("root", Viewer) {
		t.Fatal("role order")
	}
}
