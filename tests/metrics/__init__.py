"""Metric catalogue, SQL access and export tests."""
