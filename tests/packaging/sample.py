"""Where the sample app lives, and the tests of its own test file."""

from __future__ import annotations

import re
from pathlib import Path

#: A user's app of our own: function_app.py, watering.py, host.json, requirements.txt, test_watering.py.
SAMPLE_APP = Path(__file__).parent / "sample_app"
#: The tests in the sample app's own test file: each must run and pass wherever it is run.
SAMPLE_TESTS = tuple(re.findall(r"^async def (test_\w+)", (SAMPLE_APP / "test_watering.py").read_text(), re.MULTILINE))
