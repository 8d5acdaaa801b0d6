"""Local stand-ins for the platforms and ERPs, speaking each one's real protocol: for the demo and the tests.

Installed taps never import this package, and no sandbox imports tap code: each checks signatures on its own, from
the platform's documentation, so tap and sandbox test each other."""
