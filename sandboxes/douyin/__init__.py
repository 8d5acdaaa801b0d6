"""A local Douyin open-API sandbox: deterministic orders (``generator``) served over the
real protocol (``server.DouyinSandbox``); ``python -m orderlayer.sandboxes.douyin``."""
