package roster

// As returns the roster's operations done by actor, whom their audit
// records name (a staff user, an API token, or store.ActorNode).
func (r *Roster) As(actor string) Operations { return acting{r: r, actor: actor} }

// acting is the roster's operations by one actor; it holds no state.
type acting struct {
	r     *Roster
	actor string
}

func (a acting) AddPartner(cardBytes []byte) (Partner, error) {
	return a.r.addPartner(a.actor, cardBytes)
}
func (a acting) RemovePartner(code string) error { return a.r.removePartner(a.actor, code) }
func (a acting) Partners() ([]Partner, error)    { return a.r.Partners() }
func (a acting) SetPartnerAddrs(code string, addrs []string) (Partner, error) {
	return a.r.setPartnerAddrs(a.actor, code, addrs)
}
func (a acting) PausePartner(code string, paused bool) (Partner, error) {
	return a.r.pausePartner(a.actor, code, paused)
}
func (a acting) RepinPartner(code string, cardBytes []byte, validThrough uint64) (RepinResult, error) {
	return a.r.repinPartner(a.actor, code, cardBytes, validThrough)
}
