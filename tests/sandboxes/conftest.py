"""The Douyin sandbox factory the tap tests use, for the sandbox's own tests too."""

from tests.taps.conftest import make_sandbox  # noqa: F401 - a fixture, shared by import
