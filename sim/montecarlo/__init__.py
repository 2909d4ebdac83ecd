"""Monte Carlo campaigns: declarative dispersions, per-run seeds from one master seed, local
process pool or Dask execution, retention of failures and outliers, montecarlo.json + plots.

See docs/montecarlo.md. Public API:
    dispersions.load(path) -> DispersionSet          (DispersionError names the bad entry)
    campaign.run_campaign(scenario, dispersions, runs=, master_seed=, out_dir=, executor=)
    executors.PoolExecutor(workers) / DaskExecutor(workers, address) / SerialExecutor()
    seeds.run_seed(master, k), seeds.plan_run(dispersions, master, k)
    reproduce.overrides_for_run(file, run=k, run_seed=S) -> RunPlan (for `msr sil`)
"""
