package workers

// checkFlow validates the flow settings (rateLimit, ordering) and the
// combinations the worker does not run.
func (c Config) checkFlow(p *problems) {
	c.RateLimit.check(p)
	c.Ordering.check(p)
	if c.RateLimit != nil && c.Ordering != nil {
		p.add([]PathStep{Key("ordering")}, "cannot be combined with rateLimit")
	}
}
