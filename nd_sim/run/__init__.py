"""Running replications: executors, chunks, the run folder, resource limits, the runner."""
