"""Whether a process of this machine still runs: how a writer tells a killed one's leftovers (a sync's temporary
folder, the loader's hidden files) from a live one's."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
