"""The generated reference (docs/reference.md, docs/schema/) matches the schema."""

from __future__ import annotations

import json

import pytest

from mlcollage.content.reference import DOCS, SPECS, generated_files, json_schemas

from helpers import REPO


def test_every_field_is_documented_and_nothing_else() -> None:
    for section, spec in SPECS.items():
        assert set(DOCS[section]) == set(spec), section


@pytest.mark.parametrize("rel", sorted(generated_files()))
def test_committed_docs_equal_the_generated_ones(rel: str) -> None:
    committed = (REPO / "docs" / rel).read_text(encoding="utf-8")
    assert committed == generated_files()[rel], "run `python scripts/reference_docs.py`"


def test_the_json_schema_accepts_the_sites_own_files() -> None:
    """Each example validates against its property (a cheap check of type and example)."""
    site = json_schemas()["site.schema.json"]
    kinds = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list,
             "number": (int, float)}
    for schema in json_schemas().values():
        for name, prop in schema["properties"].items():
            assert isinstance(prop["examples"][0], kinds[prop["type"]]), name
    assert set(site["required"]) == {"title", "author", "description", "base_url"}
    json.dumps(site)
