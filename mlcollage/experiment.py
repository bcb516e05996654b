"""What reference experiments import: the contract between a paper's `experiment.py` and mlcollage.

An experiment file defines

* ``Config``  a frozen dataclass; defaults are the paper's setup, ``Config.quick()`` a variant
  that runs in seconds and under which the claims still hold;
* ``run(config, ctx) -> dict``  numbers, strings, bools, lists, dicts (string keys) and numpy
  arrays only; every random draw from ``ctx``; the device from ``ctx.device``;
* ``panels(result) -> list[Panel]``  2-4 panels, each drawing on a matplotlib ``Axes`` it is given;
* ``claims(result) -> list[Claim]``  the paper's headline statements, each decided by numbers
  and named by a short stable ``id`` (a string literal, e.g. ``Claim(id="low-first", ...)``).

and, so that a claim is evidence and not a description, at module level

* ``CONTROLS = [Control(...)]``  named config overrides that remove the paper's mechanism (an
  untrained network, uniform attention, beta held at 1), each with the ids of the claims that must
  *fail* under it. The build runs them (quick mode unless ``mode="full"``) and shows, per claim,
  the number it took under its control;
* ``DEVIATIONS = [Deviation(...)]``  every way the run departs from the paper, as data (what, the
  paper's value, ours, why), rendered as a table on the paper page; ``CAVEAT`` is the one-line
  summary for the slide;
* a claim that compares a method with a baseline names, in ``baseline=``, the id of a
  :meth:`Claim.baseline_learned` claim showing that the baseline beat the trivial predictor.

``panels(result)`` draws the first seed's result; ``panels(result, runs)`` (a second parameter)
also receives every seed's result, first seed first, to draw the across-seed spread.

``panels`` and ``claims`` receive the result *as stored in the cache* (see :func:`roundtrip`):
arrays come back as numpy arrays, tuples as lists, and dict keys are strings.

torch is imported lazily so that importing this module (and the CLI) stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CMAP",
    "PALETTE",
    "Claim",
    "Context",
    "ContractError",
    "Control",
    "Deviation",
    "Panel",
    "decode_result",
    "encode_result",
    "load_experiment",
    "roundtrip",
    "validate_result",
]


#: The house palette for panels: name -> colour. Slides use one style for every paper, so panels
#: take their colours from here (``PALETTE["blue"]``) instead of matplotlib's defaults.
PALETTE = {
    "blue": "#2563a8",
    "orange": "#d9730d",
    "green": "#2f8f5b",
    "red": "#c0392b",
    "purple": "#7b4fa0",
    "gray": "#6b7280",
    "ink": "#1f2933",
}
#: Sequential colormap for heatmaps.
CMAP = "viridis"


class ContractError(Exception):
    """An experiment file does not follow the contract; the message names the file."""


CLAIM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""A claim's or a control's id: short, lower-case, hyphenated (`low-first`, `untrained`)."""


CLAIM_KINDS = ("finding", "baseline", "expected")


@dataclass(frozen=True)
class Claim:
    """One machine-checked statement of the paper, decided by the numbers in ``evidence``.

    ``id`` is short and stable (controls, page anchors and result.json refer to it); write it as
    a string literal so that `mlcollage check` can read it without running the experiment.
    ``baseline`` names the :meth:`baseline_learned` claim of the baseline this claim compares
    against; ``kind`` is ``"finding"``, ``"baseline"``, or ``"expected"``: a known cost of the
    method shown beside the findings, labelled as such, which needs no control because it is
    not evidence for the paper. ``statements`` gives the statement in other languages
    (``{"zh-CN": "..."}``, the same numbers); a language without one shows ``statement``.
    """

    id: str
    statement: str
    holds: bool
    evidence: Mapping[str, float] = field(default_factory=dict)
    baseline: str = ""
    kind: str = "finding"
    statements: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", bool(self.holds))
        object.__setattr__(
            self, "evidence", {str(k): _number(v) for k, v in dict(self.evidence).items()}
        )

    @classmethod
    def baseline_learned(
        cls,
        id: str,  # noqa: A002 - the contract's name
        baseline: str,
        error: float,
        trivial: float,
        margin: float,
        metric: str = "error",
        predictor: str = "the trivial predictor",
    ) -> Claim:
        """The baseline learned: its ``error`` is at most ``margin`` times the trivial predictor's.

        ``margin`` < 1 (0.5: half the trivial error). Comparisons with this baseline name this
        claim's id in ``baseline=``.
        """
        ratio = error / trivial if trivial > 0 else math.inf
        return cls(
            id,
            f"The {baseline} baseline learned: its {metric} is {ratio:.3g}x that of "
            f"{predictor} (needs <= {margin:g}x)",
            ratio <= margin,
            {f"{metric}": error, f"trivial {metric}": trivial, "ratio": ratio},
            kind="baseline",
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "statement": self.statement,
            "holds": self.holds,
            "evidence": dict(self.evidence),
        }
        if self.baseline:
            out["baseline"] = self.baseline
        if self.kind != "finding":
            out["kind"] = self.kind
        if self.statements:  # only when given: records without translations keep their bytes
            out["statements"] = {str(k): str(v) for k, v in sorted(self.statements.items())}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claim:
        return cls(
            data.get("id", ""),
            data["statement"],
            data["holds"],
            data.get("evidence", {}),
            data.get("baseline", ""),
            data.get("kind", "finding"),
            dict(data.get("statements", {})),
        )


@dataclass(frozen=True)
class Control:
    """A negative control: ``override`` removes the paper's mechanism; ``breaks`` must then fail.

    ``name`` is a short id (`untrained`); ``label`` completes "fails when …" for the reader
    ("the network is not trained (learning rate 0)"). ``override`` replaces `Config` fields of
    the quick config (``mode="quick"``, the default) or of the published one (``mode="full"``).
    """

    name: str
    label: str
    override: Mapping[str, Any]
    breaks: tuple[str, ...]
    mode: str = "quick"

    def __post_init__(self) -> None:
        object.__setattr__(self, "override", dict(self.override))
        object.__setattr__(self, "breaks", tuple(self.breaks))


@dataclass(frozen=True)
class Deviation:
    """One way the reproduction departs from the paper: shown as a row of the page's table."""

    what: str
    paper: str
    ours: str
    why: str


def _number(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return float(value)


@dataclass(frozen=True)
class Panel:
    """One figure panel of the slide: ``draw(ax)`` draws on the ``Axes`` it is given.

    ``draw`` must not create figures or touch pyplot state. ``title`` is drawn above the axes by
    the slide renderer (keep it short); ``caption`` is optional alt text for the page.
    """

    title: str
    draw: Callable[[Any], None]
    caption: str = ""


@dataclass
class Context:
    """What ``run(config, ctx)`` gets: seeds, device, logger and a progress callback.

    The runner has already called ``torch.manual_seed(seed)`` and ``torch.set_num_threads(1)``
    in the worker process, so ``nn.Module`` default initialisation is seeded too.
    """

    seed: int = 0
    device: Any = "cpu"
    mode: str = "full"
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mlcollage.experiment"))
    on_progress: Callable[[int, int], None] | None = None

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def generator(self, offset: int = 0, device: Any = None) -> Any:
        """A ``torch.Generator`` seeded with ``seed + offset`` (on ``device``, default CPU)."""
        import torch

        g = torch.Generator(device=device or "cpu")
        g.manual_seed(self.seed + offset)
        return g

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A ``numpy.random.Generator`` seeded with ``seed + offset``."""
        return np.random.default_rng(self.seed + offset)

    def progress(self, done: int, total: int) -> None:
        """Report progress; cheap enough to call every step."""
        if self.on_progress is not None:
            self.on_progress(int(done), int(total))


# ---------------------------------------------------------------------------------------------
# result encoding: JSON-able tree + named arrays (what the cache stores)

ARRAY_MARK = "__array__"


def encode_result(result: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Split a result into a JSON-able tree and the numpy arrays it references by name."""
    arrays: dict[str, np.ndarray] = {}

    def enc(value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            return {str(k): enc(v, f"{path}/{k}" if path else str(k)) for k, v in value.items()}
        if _is_tensor(value):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray):
            name = path or "value"
            arrays[name] = np.ascontiguousarray(value)
            return {ARRAY_MARK: name}
        if isinstance(value, list | tuple):
            return [enc(v, f"{path}/{i}") for i, v in enumerate(value)]
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return int(value)
        if isinstance(value, float | np.floating):
            return float(value)
        if value is None or isinstance(value, str):
            return value
        raise TypeError(f"{path or 'result'}: unsupported type {type(value).__name__}")

    return enc(result, ""), arrays


def decode_result(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`encode_result`."""
    if isinstance(tree, dict):
        if set(tree) == {ARRAY_MARK}:
            return np.asarray(arrays[tree[ARRAY_MARK]])
        return {k: decode_result(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [decode_result(v, arrays) for v in tree]
    return tree


def roundtrip(result: Mapping[str, Any]) -> dict[str, Any]:
    """The result as ``panels``/``claims`` will see it after the cache stored and reloaded it."""
    tree, arrays = encode_result(result)
    return decode_result(tree, {k: v.copy() for k, v in arrays.items()})


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def validate_result(result: Any, where: str) -> None:
    """Raise ContractError unless ``result`` is a dict of finite numbers, lists, arrays."""
    if not isinstance(result, Mapping):
        raise ContractError(f"{where}: run() returned {type(result).__name__}; expected a dict")
    try:
        tree, arrays = encode_result(result)
    except TypeError as exc:
        raise ContractError(
            f"{where}: run() result {exc}; expected numbers, lists, arrays"
        ) from None
    bad = _non_finite(tree, "")
    for name, arr in arrays.items():
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            bad.append(name)
    if bad:
        raise ContractError(
            f"{where}: run() returned non-finite numbers in {', '.join(sorted(bad)[:5])}; "
            "expected finite values"
        )


def _non_finite(tree: Any, path: str) -> list[str]:
    if isinstance(tree, float):
        return [] if math.isfinite(tree) else [path or "result"]
    if isinstance(tree, dict):
        return [p for k, v in tree.items() for p in _non_finite(v, f"{path}/{k}" if path else k)]
    if isinstance(tree, list):
        return [p for i, v in enumerate(tree) for p in _non_finite(v, f"{path}/{i}")]
    return []


# ---------------------------------------------------------------------------------------------
# loading an experiment file


def load_experiment(path: str | Path) -> Any:
    """Import ``experiment.py`` as a fresh module and check it follows the contract."""
    path = Path(path)
    name = "mlcollage_exp_" + "_".join(path.parent.parts[-2:]).replace("-", "_").replace(".", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ContractError(f"{path}: cannot import; expected a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve string annotations through sys.modules
    sys.path.insert(0, str(path.parent))  # experiments may import sibling modules
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any import failure is the file's fault
        sys.modules.pop(name, None)
        raise ContractError(f"{path}: import failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(str(path.parent))
    check_module(module, path)
    return module


def check_module(module: Any, path: Path) -> None:
    cfg = getattr(module, "Config", None)
    if cfg is None or not dataclasses.is_dataclass(cfg):
        raise ContractError(
            f"{path}: no `Config` dataclass; expected `@dataclass(frozen=True) class Config`"
        )
    if not cfg.__dataclass_params__.frozen:
        raise ContractError(f"{path}: `Config` is not frozen; expected `@dataclass(frozen=True)`")
    if not callable(getattr(cfg, "quick", None)):
        raise ContractError(f"{path}: `Config.quick()` is missing; expected a classmethod")
    for fn in ("run", "panels", "claims"):
        if not callable(getattr(module, fn, None)):
            raise ContractError(f"{path}: no `{fn}()` function; expected the experiment contract")
    controls_of(module, path)
    deviations_of(module, path)


def controls_of(module: Any, path: Path | str = "experiment") -> list[Control]:
    """The module's ``CONTROLS``, checked: unique valid names, known `Config` fields, claim ids."""
    controls = getattr(module, "CONTROLS", ())
    if not isinstance(controls, list | tuple) or not all(isinstance(c, Control) for c in controls):
        raise ContractError(f"{path}: CONTROLS must be a list of Control")
    fields = {f.name for f in dataclasses.fields(module.Config)}
    seen: set[str] = set()
    for c in controls:
        if not CLAIM_ID_RE.match(c.name) or c.name in seen:
            raise ContractError(
                f"{path}: control name {c.name!r} is not a unique short id; expected e.g. "
                "'untrained'"
            )
        seen.add(c.name)
        unknown = sorted(set(c.override) - fields)
        if unknown:
            raise ContractError(
                f"{path}: control {c.name!r} overrides unknown Config field "
                f"{unknown[0]!r}; expected one of {', '.join(sorted(fields))}"
            )
        if not c.breaks:
            raise ContractError(
                f"{path}: control {c.name!r} breaks no claim; expected the ids of the claims "
                "that must fail under it"
            )
        if c.mode not in ("quick", "full"):
            raise ContractError(
                f"{path}: control {c.name!r} has mode {c.mode!r}; expected 'quick' or 'full'"
            )
    return list(controls)


def deviations_of(module: Any, path: Path | str = "experiment") -> list[Deviation]:
    """The module's ``DEVIATIONS`` from the paper, checked."""
    deviations = getattr(module, "DEVIATIONS", ())
    if not isinstance(deviations, list | tuple) or not all(
        isinstance(d, Deviation) for d in deviations
    ):
        raise ContractError(f"{path}: DEVIATIONS must be a list of Deviation")
    return list(deviations)


def control_config(module: Any, control: Control, overrides: Mapping[str, Any] = {}) -> Any:  # noqa: B006
    """The config a control runs: quick (or the published config with the front matter's
    ``overrides``, for ``mode="full"``) with the control's override on top."""
    base = module.Config.quick() if control.mode == "quick" else module.Config()
    if control.mode == "full":
        base = dataclasses.replace(base, **overrides)
    return dataclasses.replace(base, **control.override)


def call_panels(module: Any, result: Any, runs: list[Any] | None = None) -> Any:
    """``panels(result)``, or ``panels(result, runs)`` when the function takes every seed's run."""
    import inspect

    try:
        n = len(inspect.signature(module.panels).parameters)
    except (TypeError, ValueError):
        n = 1
    return module.panels(result, runs or [result]) if n >= 2 else module.panels(result)


def check_claims(claims: Any, where: str) -> list[Claim]:
    if not isinstance(claims, list | tuple) or not all(isinstance(c, Claim) for c in claims):
        raise ContractError(f"{where}: claims() must return a list of Claim")
    if not claims:
        raise ContractError(f"{where}: claims() returned no claim; expected at least one")
    seen: set[str] = set()
    for c in claims:
        if c.kind not in CLAIM_KINDS:
            raise ContractError(
                f"{where}: claim {c.id!r} has kind {c.kind!r}; expected one of "
                + ", ".join(CLAIM_KINDS)
            )
        if not CLAIM_ID_RE.match(c.id):
            raise ContractError(
                f"{where}: claim id {c.id!r} is not valid; expected a short lower-case id "
                "like 'low-first'"
            )
        if c.id in seen:
            raise ContractError(f"{where}: claim id {c.id!r} is used twice; expected unique ids")
        seen.add(c.id)
    kinds = {c.id: c.kind for c in claims}
    for c in claims:
        if c.baseline and kinds.get(c.baseline) != "baseline":
            raise ContractError(
                f"{where}: claim {c.id!r} names baseline {c.baseline!r}, which is not a "
                "Claim.baseline_learned claim of this experiment; expected one of "
                + (", ".join(repr(k) for k, v in kinds.items() if v == "baseline") or "none")
            )
    return list(claims)


def check_panels(panels: Any, where: str) -> list[Panel]:
    if not isinstance(panels, list | tuple) or not all(isinstance(p, Panel) for p in panels):
        raise ContractError(f"{where}: panels() must return a list of Panel")
    if not 1 <= len(panels) <= 4:
        raise ContractError(f"{where}: panels() returned {len(panels)} panels; expected 1 to 4")
    return list(panels)


# ---------------------------------------------------------------------------------------------
# running one experiment in this process (what a worker does)


def default_device() -> str:
    """CUDA when present, else CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_experiment(
    module: Any,
    config: Any,
    *,
    seed: int = 0,
    mode: str = "full",
    device: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
    where: str = "experiment",
) -> dict[str, Any]:
    """Seed, pin to one thread, run, and validate the result (raises ContractError)."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    ctx = Context(
        seed=seed,
        device=torch.device(device or default_device()),
        mode=mode,
        on_progress=on_progress,
    )
    result = module.run(config, ctx)
    validate_result(result, where)
    return dict(result)
