"""`nd-sim size`: the smallest lever value (staff, outsourcing, workshop uptake or money) that
meets a target by a date, found on the simulation itself with common random numbers.

Modules, one idea each: `target` (what is asked), `window` (KPIs over the window ending at the
date), `levers` (a number turned into a scenario variant), `guess` (the fluid first guess),
`evaluate` (replications at one lever value), `solver` (the search), `answer` (the paragraph),
`plot`, `outputs` (the files) and `run` (all of it into a results folder).
"""
