"""Errors that speak to an analyst: what was wrong, where, and what would be right."""

from __future__ import annotations


class DataError(ValueError):
    """An input file breaks its data contract.

    The message names the file, and where known the row (1-based, as a spreadsheet shows it,
    header = row 1), the column, the failed check and what would be right.
    """

    def __init__(self, message: str, *, file=None, row: int | None = None,
                 column: str | None = None, check: str | None = None,
                 expected: str | None = None):
        self.file, self.row, self.column = file, row, column
        self.check, self.expected = check, expected
        where = [f"file {file}" if file is not None else None,
                 f"row {row}" if row is not None else None,
                 f"column '{column}'" if column is not None else None]
        where_text = ", ".join(w for w in where if w)
        parts = [f"{where_text}: {message}" if where_text else message]
        if check:
            parts.append(f"(check: {check})")
        if expected:
            parts.append(f"Expected: {expected}.")
        super().__init__(" ".join(parts))


class ParameterError(ValueError):
    """A parameter (notebook, plan or function argument) has a value it cannot take.

    The message names the parameter, the value given and the valid values.
    """

    def __init__(self, parameter: str, value, expected: str):
        self.parameter, self.value, self.expected = parameter, value, expected
        super().__init__(f"parameter '{parameter}' = {value!r} is not valid. Expected: {expected}.")
