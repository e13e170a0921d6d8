package protocol

import (
	"errors"
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	nt, ok := LookupType(NoticeType)
	if !ok || nt.Name != NoticeType || nt.Summary == "" || nt.Validate == nil {
		t.Fatalf("LookupType(notice) = %+v, %v", nt, ok)
	}
	ts := Types()
	if !slices.ContainsFunc(ts, func(rt RecordType) bool { return rt.Name == NoticeType }) {
		t.Errorf("Types() = %v, want notice among them", ts)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i-1].Name >= ts[i].Name {
			t.Errorf("Types() not sorted at %q", ts[i].Name)
		}
	}
	if _, ok := LookupType("nonexistent"); ok {
		t.Error("LookupType(nonexistent) found something")
	}
	if err := ValidateRecord("nonexistent", []byte(`{}`)); !errors.Is(err, ErrUnknownType) {
		t.Errorf("ValidateRecord(nonexistent) = %v, want ErrUnknownType", err)
	}
	var ve *ValidationError
	if err := ValidateRecord(NoticeType, []byte(`{"version":1}`)); !errors.As(err, &ve) || ve.Type != NoticeType {
		t.Errorf("ValidateRecord(notice, {}) = %v, want a notice ValidationError", err)
	}
}

func TestRegisterPanics(t *testing.T) {
	valid := func([]byte) error { return nil }
	tests := []struct {
		name string
		t    RecordType
	}{
		{"duplicate", RecordType{Name: NoticeType, Validate: valid}},
		{"bad name", RecordType{Name: "Bad", Validate: valid}},
		{"nil validate", RecordType{Name: "fresh_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", tt.t)
				}
			}()
			Register(tt.t)
		})
	}
	if _, ok := LookupType("fresh_type"); ok {
		t.Error("a rejected type was registered")
	}
}
