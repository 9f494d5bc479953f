"""The `robonotes` command: one Typer app assembled from the command modules listed here.

A command module exposes `register(app)` (commands added straight onto `app`) or a Typer
`app` (added as a group named by its `NAME`, else the module's last name). To add one,
add its dotted name to COMMAND_MODULES: a one-line edit.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES: tuple[str, ...] = (
    "robonotes.cli.db",
    "robonotes.cli.users",
    "robonotes.cli.notes",
    "robonotes.cli.status",
    "robonotes.cli.cleanup",
    "robonotes.cli.serve",
    "robonotes.cli.demo",
    "robonotes.cli.worker",
    "robonotes.cli.health",
    "robonotes.cli.dlq",
    "robonotes.cli.entities",
    "robonotes.cli.eval",
    "robonotes.cli.extract",
    "robonotes.cli.devserver",
)

app = typer.Typer(
    name="robonotes",
    help="Robo Notes: notes saved at once, moments and activities extracted in the background.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def register_all(target: typer.Typer, modules: tuple[str, ...] = COMMAND_MODULES) -> None:
    """Add the commands of every module in `modules` to `target`."""
    for dotted in modules:
        module = importlib.import_module(dotted)
        register = getattr(module, "register", None)
        if callable(register):
            register(target)
        else:
            name = getattr(module, "NAME", dotted.rsplit(".", 1)[-1])
            target.add_typer(module.app, name=name)


register_all(app)


def main() -> None:
    """Run the command line (also `python -m robonotes.cli.main`)."""
    app()


if __name__ == "__main__":
    main()
