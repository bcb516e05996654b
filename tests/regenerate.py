"""Regenerate the golden output of the fixture site: `python tests/regenerate.py`.

The fixture project is built with its frozen results (tests/data/figures) so that no
experiment runs; review the diff of tests/data/expected/ before committing it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from helpers import DATA, EXPECTED, I18N_EXPECTED, I18N_OVERLAY, make_project, run_cli  # noqa: E402


def golden_project(dest: Path) -> Path:
    """The fixture project with the committed frozen figures (made by `make_project`)."""
    frozen = DATA / "figures"
    if frozen.is_dir():
        shutil.rmtree(dest / "figures")
        shutil.copytree(frozen, dest / "figures")
    return dest


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        two = golden_project(make_project(Path(tmp) / "two", overlay=I18N_OVERLAY))
        result = run_cli("build", "-C", two)
        if result.code != 0:
            print(result.err, file=sys.stderr)
            return result.code
        if I18N_EXPECTED.exists():
            shutil.rmtree(I18N_EXPECTED)
        shutil.copytree(two / "_site", I18N_EXPECTED,  # text files only: the images are redrawn
                        ignore=shutil.ignore_patterns("assets", "*.png", "*.pdf", "*.webp"))
        project = golden_project(make_project(Path(tmp) / "proj"))
        result = run_cli("build", "-C", project)
        if result.code != 0:
            print(result.err, file=sys.stderr)
            return result.code
        if EXPECTED.exists():
            shutil.rmtree(EXPECTED)
        # vendored third-party files (MiniSearch) are copied verbatim: left out of the golden files
        shutil.copytree(project / "_site", EXPECTED, ignore=shutil.ignore_patterns("vendor"))
        if (project / "figures").is_dir() and "--figures" in sys.argv:
            if (DATA / "figures").exists():
                shutil.rmtree(DATA / "figures")
            # results only: slides are redrawn (deterministically) by the golden test
            shutil.copytree(project / "figures", DATA / "figures",
                            ignore=shutil.ignore_patterns("*.png", "*.pdf", "*.webp"))
            for extra in (DATA / "figures").rglob("*"):
                if extra.is_file() and not (extra.name == "result.json"
                                            or extra.name.startswith("arrays-")):
                    extra.unlink()
    print(f"wrote {EXPECTED} and {I18N_EXPECTED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
