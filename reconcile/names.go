package reconcile

// names numbers the partners and periods of held findings, so that a
// held finding keeps two small numbers instead of two strings and the
// findings index groups by numbers: some 150,000 findings after a year's
// import name a few partners and periods. A number is never reused, and
// the table only grows: partners are participant codes and periods are
// quarters, half-years and years of the records' dates, so it stays as
// small as the trade the State holds. "" is number 0.
type names struct {
	index map[string]uint32
	list  []string
}

// number returns the number of name, numbering it if it is new.
func (t *names) number(name string) uint32 {
	if i, ok := t.lookup(name); ok {
		return i
	}
	if t.index == nil {
		t.index = map[string]uint32{}
	}
	if len(t.list) == 0 {
		t.list = append(t.list, "")
	}
	i := uint32(len(t.list))
	t.index[name] = i
	t.list = append(t.list, name)
	return i
}

// lookup returns the number of name and whether it has one.
func (t *names) lookup(name string) (uint32, bool) {
	if name == "" {
		return 0, true
	}
	i, ok := t.index[name]
	return i, ok
}

// name returns the name numbered i.
func (t *names) name(i uint32) string {
	if i == 0 {
		return ""
	}
	return t.list[i]
}
