"""A lake table: its layer, name and pandera contract (the single schema source).

Every table is declared once, with the step that writes it, in `lake_assets/steps.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyspark.sql.types import StructType

if TYPE_CHECKING:
    from pandera.pyspark import DataFrameModel


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    model: type[DataFrameModel]  # the contract: a pandera.pyspark model class
    schema: StructType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", self.model.to_structtype())

    @property
    def key(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def description(self) -> str:
        return (self.model.__doc__ or "").strip()
