import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from snippet_outputs import UPDATE_FLAG  # noqa: E402


def pytest_addoption(parser):
    parser.addoption(
        UPDATE_FLAG,
        action="store_true",
        help="rewrite tests/recorded/ with what each snippet prints now (the only way recordings are written)",
    )
