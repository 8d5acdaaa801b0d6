"""Pieces shared by every orderlayer platform tap: time windows, request budgets and
retry pacing, rate-limited HTTP transport, secret redaction and the personal-data policy."""
