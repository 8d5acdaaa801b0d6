"""Kuaidi100 (快递100) tracking tap: ``tap.TapKuaidi100`` (console script ``tap-kuaidi100``) reads the real-time
query ``poll/query.do`` and subscribes the waybills at ``poll``; ``protocol.verify_push`` checks and parses the
signed callback, which ``receiver.Kuaidi100Receiver`` takes for ``orderlayer serve``. The sandbox is ``orderlayer.sandboxes.kuaidi100``."""
