"""A scenario compiled into what the engine reads: demand, capacity, today's list,
and the analytic panel beside every result."""
