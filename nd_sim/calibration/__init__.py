"""Fitting a scenario to a service's own history (`nd-sim calibrate`)."""
