"""The desktop app's fixtures (tests/unit/ui/conftest.py) for its slow tests too."""

from unit.ui.conftest import *  # noqa: F401,F403
