"""Suite-wide setup."""

from orderlayer.teardown import quiet_native_teardown

# Keep pytest's summary the last thing printed (see orderlayer.teardown).
quiet_native_teardown()
