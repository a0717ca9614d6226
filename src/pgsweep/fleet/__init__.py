"""Many repositories in one run: audit tasks, the executors that run them, and the
coordinator that records their results."""
