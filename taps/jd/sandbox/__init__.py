"""A local JD JOS sandbox: deterministic orders and their refund applications (``generator``) served over the real
routerjson protocol (``server.JdSandbox``); ``python -m orderlayer.taps.jd.sandbox`` serves one standalone."""

from orderlayer.taps.jd.sandbox.server import JdSandbox

__all__ = ["JdSandbox"]
