"""Write docs/reference.md and docs/schema/*.json from the schema (`content/reference.py`)."""

from __future__ import annotations

import sys
from pathlib import Path

from mlcollage.content.reference import generated_files

DOCS = Path(__file__).resolve().parents[1] / "docs"

if __name__ == "__main__":
    for rel, text in generated_files().items():
        (DOCS / rel).parent.mkdir(parents=True, exist_ok=True)
        (DOCS / rel).write_text(text, encoding="utf-8")
        print(f"wrote docs/{rel}", file=sys.stderr)
