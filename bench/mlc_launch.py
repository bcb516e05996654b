"""Run `mlcollage` from a given source tree, bypassing .venv's editable install.

    .venv/bin/python bench/mlc_launch.py SRC_TREE build -C DIR

SRC_TREE also goes first on PYTHONPATH, so worker processes (forkserver/spawn) import the
same tree. Everything sits under the __main__ guard: workers import this file as __mp_main__.
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    src = Path(sys.argv.pop(1)).resolve()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(src)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus

    corpus.use_source(src)
    sys.argv[0] = "mlcollage"
    from mlcollage.cli import main

    sys.exit(main())
