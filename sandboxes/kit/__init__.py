"""What every sandbox shares, so a platform's sandbox holds only its wire format, signature check and quirks.

* ``server`` — the HTTP server, request log, switchable faults (:class:`~.server.Faults`, one injector for every
  sandbox) and the ``/_sandbox/*`` control endpoints;
* ``channel`` — a channel sandbox: shops, the forward-only sandbox clock, tap configs, token accessors;
* ``erp`` / ``erp_derive`` — an ERP sandbox derived from the channels' order facts;
* ``world`` / ``synth`` — the order world generators draw from, the deterministic helpers, ``OrderFact``;
* ``tokens`` — the token issuer (TTL, rotation, expiry, refresh, revocation);
* ``budget`` — a gateway's server-side request limit;
* ``cli`` — ``python -m orderlayer.sandboxes.<source>``.
"""
