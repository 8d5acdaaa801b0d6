"""A local Kuaidi100 API (real-time query, subscribe, signed pushes) replaying parcel routes: ``server.Kuaidi100Sandbox``."""
