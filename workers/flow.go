package workers

// checkFlow validates the flow settings (rateLimit, ordering, batch) and the
// combinations the worker does not run.
//
// rateLimit combines with batch (the limit counts events: a batch of n
// takes n tokens) and with ordering (each event's start takes a token);
// ordering combines with batch (a batch holds at most one event per key);
// the three together are refused.
func (c Config) checkFlow(p *problems) {
	c.RateLimit.check(p)
	c.Ordering.check(p)
	c.Batch.check(p)
	if c.Batch != nil && c.Ordering != nil && c.RateLimit != nil {
		p.add([]PathStep{Key("rateLimit")}, "cannot be combined with ordering and batch together (each pair works)")
	}
}
