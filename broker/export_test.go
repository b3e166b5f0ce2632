package broker

// HoldAtomicSlots takes every slot for atomic batches of c, as batches in
// flight would, until release is called.
func HoldAtomicSlots(c *Client) (release func()) {
	for range cap(c.atomicSlots) {
		c.atomicSlots <- struct{}{}
	}
	return func() {
		for range cap(c.atomicSlots) {
			<-c.atomicSlots
		}
	}
}
