package workers

// checkFlow validates the flow settings (rateLimit, ordering, batch) and the
// combinations the worker does not run.
func (c Config) checkFlow(p *problems) {
	c.RateLimit.check(p)
	c.Ordering.check(p)
	c.Batch.check(p)
	if c.RateLimit != nil && c.Ordering != nil {
		p.add([]PathStep{Key("ordering")}, "cannot be combined with rateLimit")
	}
	if c.Batch != nil && c.RateLimit != nil {
		p.add([]PathStep{Key("batch")}, "cannot be combined with rateLimit")
	}
	if c.Batch != nil && c.Ordering != nil {
		p.add([]PathStep{Key("batch")}, "cannot be combined with ordering")
	}
}
