package bench

import (
	"context"
	"fmt"
)

// Run runs scenario with cfg (zero fields take the scenario's defaults)
// and returns its result. Errors wrap ErrInvalidConfig, ErrUnknownScenario
// or ErrNoWorker for bad settings and ErrIncomplete when the run could not
// finish; broker errors are wrapped as they come.
func Run(ctx context.Context, scenario string, cfg Config) (*Result, error) {
	cfg = Defaults(scenario, cfg)
	if err := Validate(scenario, cfg); err != nil {
		return nil, err
	}
	e, err := openEnv(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var res Result
	switch scenario {
	case Ingest:
		if cfg.Batch > 0 {
			res, err = runIngestBatch(ctx, e, cfg)
		} else {
			res, err = runIngest(ctx, e, cfg)
		}
	case Delay:
		res, err = runDelay(ctx, e, cfg)
	case RateLimit:
		res, err = runRateLimit(ctx, e, cfg)
	case Pipeline:
		res, err = runPipeline(ctx, e, cfg)
	case Latency:
		res, err = runLatency(ctx, e, cfg)
	case Scale:
		res, err = runScale(ctx, e, cfg)
	}
	if cerr := e.close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
		err = fmt.Errorf("bench: clean up: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	res.Params = params(scenario, cfg)
	res.Machine = ThisMachine()
	res.finish()
	return &res, nil
}
