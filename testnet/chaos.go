package testnet

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Partition splits the network into groups that can no longer reach each
// other: every member pauses its partners in other groups (see
// [node.Node.PausePartner]), so no connection, push or sync crosses. A
// member listed in no group joins a group of its own with the other
// unlisted ones. The partition is kept in the state file and re-applied
// to members that start later; [Network.Heal] ends it.
func (n *Network) Partition(ctx context.Context, groups [][]string) error {
	seen := map[string]bool{}
	var norm [][]string
	for _, g := range groups {
		var ng []string
		for _, c := range g {
			m, err := n.Member(c)
			if err != nil {
				return err
			}
			if seen[m.Code] {
				return fmt.Errorf("partition: %s is in two groups", m.Code)
			}
			seen[m.Code] = true
			ng = append(ng, m.Code)
		}
		norm = append(norm, ng)
	}
	var rest []string
	for _, m := range n.st.Members {
		if !seen[m.Code] {
			rest = append(rest, m.Code)
		}
	}
	if len(rest) > 0 {
		norm = append(norm, rest)
	}
	if len(norm) < 2 {
		return fmt.Errorf("partition: %d group(s), want at least 2", len(norm))
	}
	n.st.Partition = norm
	if err := n.save(); err != nil {
		return err
	}
	return n.applyLinksAll(ctx)
}

// Heal ends a partition: every running member resumes all its partners.
func (n *Network) Heal(ctx context.Context) error {
	n.st.Partition = nil
	if err := n.save(); err != nil {
		return err
	}
	return n.applyLinksAll(ctx)
}

// Partitioned returns the current partition groups, nil when healed.
func (n *Network) Partitioned() [][]string { return n.st.Partition }

func (n *Network) applyLinksAll(ctx context.Context) error {
	for _, m := range n.st.Members {
		if !n.runner.Running(m) {
			continue // applied when it starts
		}
		if err := n.applyLinks(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// applyLinks pauses m's partners across the partition and resumes the
// others.
func (n *Network) applyLinks(ctx context.Context, m *Member) error {
	for _, p := range Partners(n.st.Spec.Links, m.Code) {
		verb := "resume"
		if n.cut(m.Code, p) {
			verb = "pause"
		}
		if err := n.call(ctx, m, "POST", "/api/partners/"+p+"/"+verb, nil, nil); err != nil {
			return fmt.Errorf("%s: %s partner %s: %w", m.Code, verb, p, err)
		}
	}
	return nil
}

// cut reports whether the partition separates a and b.
func (n *Network) cut(a, b string) bool {
	if n.st.Partition == nil {
		return false
	}
	for _, g := range n.st.Partition {
		if slices.Contains(g, a) {
			return !slices.Contains(g, b)
		}
	}
	return false
}

// ParseGroups parses partition groups as the CLI takes them: one
// argument per group, codes separated by commas ("IN,BE" "AE,ZA,BW").
func ParseGroups(args []string) [][]string {
	var out [][]string
	for _, a := range args {
		var g []string
		for _, c := range strings.Split(a, ",") {
			if c = strings.TrimSpace(c); c != "" {
				g = append(g, strings.ToUpper(c))
			}
		}
		out = append(out, g)
	}
	return out
}
