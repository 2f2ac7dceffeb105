"""GeoReport v2's two formats: JSON, and the XML it maps from (UTF-8, schemaless, no
namespace, with the XML declaration)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

# The element of each item of a list-valued field (`attributes` holds `attribute`s).
ITEM_ELEMENTS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Format(StrEnum):
    JSON = "json"
    XML = "xml"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ElementTree.Element, name: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            child = ElementTree.SubElement(element, ITEM_ELEMENTS.get(name, "item"))
            if isinstance(item, dict):
                _fill(child, item)
            else:
                child.text = _text(item)
    else:
        element.text = _text(value)


def _fill(element: ElementTree.Element, document: dict[str, Any]) -> None:
    for name, value in document.items():
        _append(element, name, value)


def to_xml(root: str, item: str, body: list[dict[str, Any]] | dict[str, Any]) -> str:
    """`body` as XML: a list becomes `<root><item>…</item>…</root>`, a document `<root>…</root>`."""
    element = ElementTree.Element(root)
    if isinstance(body, list):
        for document in body:
            _fill(ElementTree.SubElement(element, item), document)
    else:
        _fill(element, body)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
        element, encoding="unicode"
    )


def respond(
    fmt: Format,
    body: list[dict[str, Any]] | dict[str, Any],
    *,
    root: str,
    item: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    if fmt is Format.XML:
        return Response(
            to_xml(root, item, body),
            status_code=status,
            media_type="text/xml; charset=utf-8",
            headers=headers,
        )
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def errors(fmt: Format, status: int, descriptions: list[str]) -> Response:
    """The spec's error list: `[{"code": 404, "description": "…"}]`, or `<errors><error>…`."""
    body = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, body, root="errors", item="error", status=status)
