"""The base of every stored document model."""

from __future__ import annotations

from typing import Any, Self

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.mongo import Document


class StoredModel(BaseModel):
    """A MongoDB document: `id` is stored as `_id`."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True, frozen=True)

    id: ObjectId = Field(default_factory=ObjectId, alias="_id")

    def to_document(self) -> Document:
        return self.model_dump(by_alias=True, mode="python")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)
