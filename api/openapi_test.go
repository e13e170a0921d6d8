package api

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that docs/openapi.yaml documents exactly
// the routes the handler registers, method by method.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRe := regexp.MustCompile(`^    (get|post|put|delete|patch):`)
	inPaths, path := false, ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "paths:") {
			inPaths = true
			continue
		}
		if !inPaths {
			continue
		}
		if m := pathRe.FindStringSubmatch(line); m != nil {
			path = m[1]
		} else if m := methodRe.FindStringSubmatch(line); m != nil && path != "" {
			documented = append(documented, strings.ToUpper(m[1])+" "+path)
		}
	}
	h := mustHandler(t, nil)
	var served []string
	for _, r := range h.patterns {
		served = append(served, strings.ReplaceAll(r, "...}", "}"))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("docs/openapi.yaml and the routes differ:\ndocumented %v\nserved     %v", documented, served)
	}
}

// TestOpenAPIRoles checks that docs/openapi.yaml names the role of every
// route that needs more than a viewer (x-kpnode-role), and no other.
func TestOpenAPIRoles(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRe := regexp.MustCompile(`^    (get|post|put|delete|patch):`)
	roleRe := regexp.MustCompile(`^      x-kpnode-role: (\S+)`)
	documented := map[string]string{}
	path, op := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		if m := pathRe.FindStringSubmatch(line); m != nil {
			path = m[1]
		} else if m := methodRe.FindStringSubmatch(line); m != nil {
			op = strings.ToUpper(m[1]) + " " + path
		} else if m := roleRe.FindStringSubmatch(line); m != nil {
			documented[op] = m[1]
		}
	}
	h := mustHandler(t, nil)
	for pattern, role := range h.roles {
		op := strings.ReplaceAll(pattern, "...}", "}")
		want := role.String()
		if want == "viewer" {
			want = ""
		}
		if documented[op] != want {
			t.Errorf("%s needs %s; docs/openapi.yaml says x-kpnode-role %q", op, role, documented[op])
		}
		delete(documented, op)
	}
	for op, role := range documented {
		t.Errorf("docs/openapi.yaml gives %s the role %s, but no such route needs one", op, role)
	}
}
