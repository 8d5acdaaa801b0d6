"""A local JD JOS sandbox: deterministic orders and their refund applications (``generator``) served over the real
routerjson protocol (``server.JdSandbox``); ``python -m orderlayer.sandboxes.jd`` serves one standalone."""

from orderlayer.sandboxes.jd.server import JdSandbox

__all__ = ["JdSandbox"]
