"""One result-table type: named numpy columns of equal length, convertible to data frames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Estimate", "Table"]


class Estimate(NamedTuple):
    """A mean over replications and the half-width of its 95 % confidence interval
    (``nan`` with fewer than two finite values). Unpacks like ``(mean, half_width)``."""

    mean: float
    half_width: float

    @property
    def low(self) -> float:
        """The lower end of the 95 % confidence interval."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """The upper end of the 95 % confidence interval."""
        return self.mean + self.half_width


class Table(Mapping[str, npt.NDArray[Any]]):
    """Named columns (numpy arrays) of equal length, in order.

    A read-only mapping of column name to array (``table["calls"]``, ``dict(table)``,
    ``list(table)`` for the names); :attr:`height` is the number of rows, :meth:`rows`
    iterates them as dicts, :meth:`to_pandas` and :meth:`to_polars` convert (each needs its
    library: ``pip install 'callroute[frames]'``).
    """

    __slots__ = ("_columns",)

    def __init__(self, columns: Mapping[str, npt.ArrayLike]) -> None:
        """Build from ``{name: values}``; every column is made a 1-d numpy array.

        :raises ValueError: when the columns differ in length or one is not 1-d.
        """
        cols = {str(k): np.asarray(v) for k, v in columns.items()}
        lengths = {k: v.shape for k, v in cols.items()}
        if any(len(s) != 1 for s in lengths.values()) or len({s[0] for s in lengths.values()}) > 1:
            raise ValueError(f"a table needs 1-d columns of one length, got shapes {lengths}")
        self._columns = cols

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """The column ``name`` (``KeyError`` for an unknown one)."""
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        """The column names, in order."""
        return iter(self._columns)

    def __len__(self) -> int:
        """The number of columns (a mapping's length); rows are :attr:`height`."""
        return len(self._columns)

    def __repr__(self) -> str:
        return f"Table({self.height} rows: {', '.join(self._columns)})"

    @property
    def height(self) -> int:
        """The number of rows (every column has this length)."""
        return next((len(v) for v in self._columns.values()), 0)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict of plain Python values (numpy scalars unwrapped)."""
        for i in range(self.height):
            yield {k: _plain(v[i]) for k, v in self._columns.items()}

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'callroute[frames]'") from exc
        return pd.DataFrame(dict(self._columns))

    def to_polars(self) -> Any:
        """The table as a ``polars.DataFrame`` (needs polars); object columns (labels)
        become strings."""
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_polars() needs polars: pip install 'callroute[frames]'") from exc
        return pl.DataFrame(
            {k: [str(x) for x in v] if v.dtype == object else v for k, v in self._columns.items()}
        )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
