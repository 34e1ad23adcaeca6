"""`python -m nd_sim` runs the command line."""

from nd_sim.cli import main

main()
