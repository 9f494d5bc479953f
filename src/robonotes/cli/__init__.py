"""The `robonotes` command line (Typer); every part comes from bootstrap.Container."""
