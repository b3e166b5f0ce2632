package workers

// checkFlow validates the flow settings (rateLimit, ordering, batch) and the
// combinations the worker does not run.
//
// rateLimit combines with batch (the limit counts events: a batch of n
// takes n tokens) and with ordering (each event's start takes a token).
func (c Config) checkFlow(p *problems) {
	c.RateLimit.check(p)
	c.Ordering.check(p)
	c.Batch.check(p)
	if c.Batch != nil && c.Ordering != nil {
		p.add([]PathStep{Key("batch")}, "cannot be combined with ordering: a batch would hold several events of one key at once, and ordering runs one at a time")
	}
}
