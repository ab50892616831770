"""Make a graph's missing nodes: the scheduler, the runner, the node operations. Never prints."""
