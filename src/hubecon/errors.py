"""Errors a user can act on: the CLI prints them on one line and exits with code 2."""

from __future__ import annotations


class HubeconError(Exception):
    """Bad input or data: the message names the file, row and field where known."""


class InputError(HubeconError):
    """A file a user gave us cannot be read as what it claims to be."""

    def __init__(self, path: object, problem: str, *, row: int | None = None, field: str | None = None):
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.row, self.field = path, row, field
