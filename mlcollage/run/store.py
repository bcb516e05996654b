"""Result keys and the `figures/` store: frozen results, written atomically, only after success.

Layout of a paper's folder ``figures/<month>/<slug>/`` (quick results: ``figures/.quick/``)::

    result.json              the first seed's run: key, config, claims, result tree, provenance
    arrays-<hash>.npz        its arrays, named by content so result.json is the commit point
    seed-<s>/result.json     further seeds, same layout
    controls/<name>/         each negative control's run (CONTROLS), same layout
    slide.png, card.png ...  drawn from the result (see draw.py)
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcollage.files import atomic_write
from mlcollage.model import ControlSpec, ExperimentSpec, Paper
from mlcollage.state.keys import versions

if TYPE_CHECKING:
    import numpy as np  # imported where arrays are read or written: not on a rebuild's path

RESULT_FORMAT = 2
"""Bump to invalidate every frozen result (a change in what a result means or how it is stored).
2: tool and library versions left the key (they are provenance; see `version_changes`)."""
KEYED_VERSIONS = ("mlcollage", "torch", "numpy")
"""The versions format 1 keyed on, now recorded as provenance and compared by `check`."""


def local_sources(script: Path) -> list[Path]:
    """The experiment file and the modules it imports from its own folder (transitively)."""
    folder = script.parent
    seen: list[Path] = []
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level in (0, 1):
                names = [node.module]
            for name in names:
                candidate = folder / (name.split(".")[0] + ".py")
                if candidate.is_file():
                    todo.append(candidate)
    return sorted(seen)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def result_key(
    spec: ExperimentSpec, seed: int, mode: str, control: ControlSpec | None = None
) -> str:
    """Hash of what decides a result's numbers: the sources (the experiment and its local
    imports), the config overrides, seed, mode and the result format.

    A control's key also hashes its name and override; a quick control ignores the front
    matter's overrides (it runs the quick config), so only a full one hashes them. The versions
    of mlcollage, torch and numpy are not in the key: an upgrade keeps the archive current; they
    are provenance in result.json, and `mlcollage check` names a difference.
    """
    return _key(spec, seed, mode, control, RESULT_FORMAT, {})


def result_key_v1(
    spec: ExperimentSpec, seed: int, mode: str, control: ControlSpec | None,
    keyed_versions: dict[str, str],
) -> str:
    """The format-1 key (it hashed the versions too): only `run.rekey` needs it, to tell a
    result that was current before the change from one that was already stale."""
    return _key(spec, seed, mode, control, 1, {"versions": keyed_versions})


def _key(
    spec: ExperimentSpec, seed: int, mode: str, control: ControlSpec | None, fmt: int,
    extra: dict[str, Any],
) -> str:
    h = hashlib.sha256()
    h.update(f"mlcollage-result/{fmt}\n".encode())
    for path in local_sources(spec.path):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    what: dict[str, Any] = {"config": spec.config, "seed": seed, "mode": mode} | extra
    if control is not None:
        what |= {"control": control.name, "override": control.override,
                 "config": spec.config if control.mode == "full" else {}}
    h.update(canonical_json(what).encode())
    return h.hexdigest()


def version_changes(record: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (version that produced the result, installed version), for each of
    `KEYED_VERSIONS` that differs; a library that is not installed here is not compared (a
    publishing machine without torch cannot re-run anyway)."""
    was = (record.get("provenance") or {}).get("versions") or {}
    now = versions()
    return {
        name: (str(was.get(name, "unknown")), now[name])
        for name in KEYED_VERSIONS
        if now.get(name, "none") != "none" and str(was.get(name)) != now[name]
    }


def record_text(record: dict[str, Any]) -> bytes:
    """result.json's bytes for a record (one format for every writer)."""
    return (json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class StoredRun:
    """One seed's frozen result as read back from `figures/`."""

    folder: Path
    record: dict[str, Any]
    """result.json: key, seed, mode, config, claims, result (tree), provenance."""

    @property
    def key(self) -> str:
        return self.record["key"]

    @property
    def seed(self) -> int:
        return int(self.record["seed"])

    def arrays(self) -> dict[str, np.ndarray]:
        name = self.record.get("arrays")
        if not name:
            return {}
        import numpy as np

        with np.load(self.folder / name, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def result(self) -> dict[str, Any]:
        """The result dict as the experiment's panels() and claims() expect it."""
        from mlcollage.experiment import decode_result

        return decode_result(self.record["result"], self.arrays())


class Store:
    """The `figures/` folder of a project."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def folder(self, paper: Paper, mode: str) -> Path:
        base = self.root / ".quick" if mode == "quick" else self.root
        return base.joinpath(paper.month, paper.slug)

    def run_folder(
        self, paper: Paper, seed: int, mode: str, primary: bool, control: str = ""
    ) -> Path:
        """Where one run lives; ``mode`` is the build's (a control's own mode is in its key)."""
        folder = self.folder(paper, mode)
        if control:
            return folder / "controls" / control
        return folder if primary else folder / f"seed-{seed}"

    def load(
        self, paper: Paper, seed: int, mode: str, primary: bool, control: str = ""
    ) -> StoredRun | None:
        """The stored run for this seed, whatever its key (None if absent or unreadable)."""
        folder = self.run_folder(paper, seed, mode, primary, control)
        try:
            record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("seed") != seed or "key" not in record:
            return None
        if record.get("arrays") and not (folder / record["arrays"]).is_file():
            return None
        return StoredRun(folder, record)

    def save(
        self,
        paper: Paper,
        primary: bool,
        record: dict[str, Any],
        arrays: dict[str, np.ndarray],
        mode: str | None = None,
    ) -> StoredRun:
        """Write arrays then result.json (the commit point), each atomically; drop old arrays.

        ``mode``: the build's mode, where the record's differs (a quick control of a full build).
        """
        control = record.get("control", "")
        folder = self.run_folder(
            paper, int(record["seed"]), mode or record["mode"], primary, control
        )
        record = dict(record)
        record["arrays"] = ""
        if arrays:
            data = _deterministic_npz(arrays)
            name = f"arrays-{hashlib.sha256(data).hexdigest()[:16]}.npz"
            atomic_write(folder / name, data)
            record["arrays"] = name
        text = record_text(record)
        atomic_write(folder / "result.json", text)
        for old in folder.glob("arrays-*.npz"):
            if old.name != record["arrays"]:
                old.unlink(missing_ok=True)
        return StoredRun(folder, json.loads(text))  # exactly what a later build will read


def _deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz whose bytes depend only on the arrays (zip entries with a fixed timestamp)."""
    import zipfile

    import numpy as np

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buf.getvalue()
