"""CI runs the README's test command, and that command checks lint, format and types too."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_test_command() -> str:
    """The command under "# 2." in the README's "Two commands" block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^# 2\..*\n(.+)$", readme, re.M)
    assert found, "README has no '# 2.' test command"
    return found.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line for line in script if line.startswith("python3 -m venv")]
    assert commands == [readme_test_command()]


def test_the_test_command_checks_lint_format_and_types_before_the_tests() -> None:
    steps = [step.strip() for step in readme_test_command().split("&&")]
    assert steps[-4:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy .",
        ".venv/bin/python -m pytest",
    ]
