"""orderlayer's core: configuration, the source registry, the warehouse, and the stages (sync, build, check,
publish, metrics, report) that the CLI, the loader and the gates call."""
