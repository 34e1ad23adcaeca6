"""Global sensitivity of a KPI to the scenario's uncertain inputs (`nd-sim sensitivity`)."""
