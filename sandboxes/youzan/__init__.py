"""A local youzanyun gateway: deterministic orders (``generator``) served over the real protocol
(``server.YouzanSandbox``); ``python -m orderlayer.sandboxes.youzan``."""
