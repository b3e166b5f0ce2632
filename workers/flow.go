package workers

// checkFlow validates the flow settings (rateLimit, ordering, batch).
//
// rateLimit combines with batch (the limit counts events: a batch of n
// takes n tokens) and with ordering (each event's start takes a token);
// ordering combines with batch (a batch holds at most one event per key);
// and the three combine.
func (c Config) checkFlow(p *problems) {
	c.RateLimit.check(p)
	c.Ordering.check(p)
	c.Batch.check(p)
}
