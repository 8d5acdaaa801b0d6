"""SF Express (顺丰, 丰桥 open platform) route query tap: ``tap.TapSfExpress`` (console script ``tap-sf-express``)
reads ``EXP_RECE_SEARCH_ROUTES`` for the waybills the sync hands it; the sandbox is ``orderlayer.sandboxes.sf_express``."""
