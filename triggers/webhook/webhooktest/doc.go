// Package webhooktest signs webhook requests the way each provider known to
// package webhook does, for tests of code that receives webhooks.
//
// The signatures are computed here independently of the verifiers, from the
// providers' published schemes, so a test that signs with this package and
// verifies with package webhook checks one against the other.
package webhooktest
