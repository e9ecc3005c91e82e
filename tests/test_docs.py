"""Every command has help text and is documented in the README: a feature not in the README does not exist."""
from pathlib import Path

from insights.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_command_has_help_and_appears_in_the_readme():
    names = [c.name or c.callback.__name__.rstrip("_") for c in app.registered_commands]
    assert len(names) >= 10
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.rstrip("_")
        assert (command.callback.__doc__ or "").strip(), name
        assert f"insights {name}" in README, name
