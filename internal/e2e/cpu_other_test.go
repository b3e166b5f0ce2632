//go:build !unix

package e2e

import "time"

// processCPU is not measured on this platform.
func processCPU() time.Duration { return 0 }
