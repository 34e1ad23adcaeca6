"""From raw results to KPIs: the registry, weekly counts, tables, statistics, Kaplan-Meier."""
