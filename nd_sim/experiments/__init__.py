"""Questions asked of many runs: compare, sweep, options, sizing, families."""
