"""SIL scenarios run by `msr sil NAME`: run(seed, out_dir, overrides) -> summary dict."""
