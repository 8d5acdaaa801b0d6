"""Exports a WeChat mini-program shop owner downloads (CSV/Excel), for the file source."""
