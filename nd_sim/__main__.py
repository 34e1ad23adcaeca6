"""`python -m nd_sim` runs the command line."""

from nd_sim.launch import main

main()
