"""`robonotes users create NAME`: a new person and their API token, printed once."""

from __future__ import annotations

import typer

from robonotes.bootstrap import Container
from robonotes.cli.common import err, out, run

app = typer.Typer(help="People and their API tokens.", no_args_is_help=True)


@app.command("create")
def create(name: str = typer.Argument(..., help="A unique name, 1 to 100 characters.")) -> None:
    """Create a person; their token is printed once and only its hash is stored."""

    async def work(container: Container) -> str:
        user, token = await container.users.create(name=name)
        err.print(f"created user {user.id} ({user.name}); keep this token, it is shown once:")
        return token

    out.print(run(work), markup=False)


@app.command("token")
def token(name: str = typer.Argument(..., help="An existing person's name.")) -> None:
    """Issue one more API token for a person (earlier tokens keep working)."""

    async def work(container: Container) -> str:
        return await container.users.issue_token(name=name)

    out.print(run(work), markup=False)
