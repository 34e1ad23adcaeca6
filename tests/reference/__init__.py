"""The SimPy reference model: the oracle the compiled engine must equal."""
