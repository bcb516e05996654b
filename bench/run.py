"""Time mlcollage against Pelican, MkDocs (plain and Material) and Hugo on the same corpus.

    python3 bench/run.py --n 100 1000 --repeats 5          # the table (see bench/README.md)
    python3 bench/run.py --feb2021                          # Feb 2021 digest cold, full mode
    python3 bench/run.py --help-time                        # `mlcollage --help`
    python3 bench/run.py --profile 1000                     # cProfile: cold and no-op builds
    python3 bench/run.py --n 1000 5000 10000 --tools mlcollage hugo   # + the growth table

For each N the corpus is generated once (bench/corpora/nN, deterministic) and mlcollage's
slides are frozen without drawing (bench/corpus.py freeze); the templates are re-copied from
the repo first, so the run measures the working tree's mlcollage and templates.

Per repeat the tools are run in a rotated order (alternating, so drift in machine load hits
every tool alike); per tool:

  cold   output folder and the tool's caches removed, then one build
  noop   the same build again, nothing changed
  edit   the last paragraph of one summary changed (a new token each repeat), then one build

Each build is one child process: CPU = user+sys of the child and all its descendants
(getrusage(RUSAGE_CHILDREN) delta), wall = perf_counter around spawn..wait4, peak RSS =
wait4's ru_maxrss (largest single process in the tree). After every build the harness checks
the exit code, counts the HTML pages written, checks that the edited page carries the new
token, and for mlcollage that figures/ is untouched (nothing drawn, nothing run). Failures are
printed and kept in the results, never dropped. Medians over the repeats go to the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / ".venv-peers" / "bin"
MLC = REPO / ".venv" / "bin" / "mlcollage"
MLC_PY = REPO / ".venv" / "bin" / "python"
RESULTS = BENCH / "results"

# `mlcollage` from another source tree (--src/--rev): bench/mlc_launch.py bypasses the
# editable install
SRC = REPO  # set by --src / --rev


def mlc(*args: str) -> list[str]:
    if SRC == REPO:
        return [str(MLC), *args]
    return [str(MLC_PY), str(BENCH / "mlc_launch.py"), str(SRC), *args]


# tool -> (command, output folder, paths removed for a cold build)
TOOLS = {
    "mlcollage": (["<mlcollage>", "build", "-C", "."], "_site", ["_site", ".mlcollage"]),
    "hugo": (["hugo", "--quiet"], "public", ["public", "resources", ".hugo_build.lock"]),
    "pelican": (
        [str(PEERS / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
        "output",
        ["output", "cache", "__pycache__"],
    ),
    "mkdocs": ([str(PEERS / "mkdocs"), "build", "-q"], "site", ["site"]),
    "mkdocs-material": ([str(PEERS / "mkdocs"), "build", "-q"], "site", ["site"]),
}
TOOLS["mlcollage-serial"] = TOOLS["mlcollage"]
SAME_AS = {"mlcollage-serial": "mlcollage"}
"""A tool measured in another one's corpus folder (with its own environment, `TOOL_ENVS`)."""
SCENARIOS = ("cold", "noop", "edit")


# ---------------------------------------------------------------------------------------------
# one timed child


def become_subreaper() -> bool:
    """Orphaned descendants (a fork server, pool workers) are re-parented to us, so that we can
    reap them and their CPU counts in RUSAGE_CHILDREN (Linux prctl PR_SET_CHILD_SUBREAPER)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


SUBREAPER = become_subreaper()


def reap_orphans(limit: float = 30.0) -> int:
    """Wait for descendants left running by the child (they are ours as subreaper)."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < limit:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid:
            n += 1
        else:
            time.sleep(0.02)
    return -1  # still running after `limit`: their CPU is missing


# Every tool runs as on a user's machine, where Python keeps compiled bytecode (__pycache__);
# this sandbox sets PYTHONDONTWRITEBYTECODE=1, which would make every Python tool recompile its
# own modules on every run (~35 ms for mlcollage, more for the peers' bigger code bases).
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TOOL_ENVS = {"mlcollage-serial": TOOL_ENV | {"MLCOLLAGE_POOL_MIN_WORK": "inf"}}
"""mlcollage-serial: mlcollage with its render pool off (the serial build it must equal)."""


def folder(tool: str) -> str:
    return SAME_AS.get(tool, tool)


def timed(cmd: list[str], cwd: Path, log: Path, env: dict | None = None,
          timeout: float | None = None) -> dict:
    """Run cmd; return rc, wall, cpu (user+sys of the whole process tree), peak RSS in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "ab") as fh:
        fh.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n".encode())
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=fh, env=env or TOOL_ENV)
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    orphans = reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "rc": proc.returncode,
        "wall": wall,
        "cpu": cpu,
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "rss_mib": ru.ru_maxrss / 1024,
        "orphans_reaped": orphans,  # -1: some still running, their CPU is not counted
        "subreaper": SUBREAPER,
    }


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html")) if folder.is_dir() else 0


def html_mib(folder: Path) -> float:
    """Total size of the HTML pages written (output size, linear in N or not)."""
    if not folder.is_dir():
        return 0.0
    return sum(p.stat().st_size for p in folder.rglob("*.html")) / 2**20


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")} if folder.is_dir() else {}


def code_hash() -> str:
    """Hash of mlcollage's sources and the templates: the code a build measures."""
    import hashlib

    h = hashlib.sha256()
    for base in (SRC / "mlcollage", SRC / "templates"):
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(SRC)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def git_state() -> str:
    """HEAD and whether mlcollage/ or templates/ differ from it (read-only git)."""
    if SRC != REPO:
        return f"source tree {SRC}"
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "mlcollage", "templates"],
                               cwd=REPO, capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except OSError:
        return "unknown"


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------------------------------------
# corpus


def prepare(n: int, regen: bool, log: Path, tools: list[str] | None = None) -> Path:
    root = BENCH / "corpora" / f"n{n}"
    manifest = root / "corpus.json"
    tools = sorted({folder(t) for t in tools or TOOLS} | {"mlcollage"})
    old = json.loads(manifest.read_text()) if manifest.is_file() else {}
    have = old.get("tools", list(TOOLS)) if old.get("n") == n else []
    if regen or not set(tools) <= set(have) or not corpus_is_current(old):
        print(f"[n={n}] generating corpus in {root} for {', '.join(tools)}", flush=True)
        subprocess.run([sys.executable, str(BENCH / "corpus.py"), "generate", str(n),
                        "--out", str(root), "--tools", *tools],
                       check=True, stdout=subprocess.DEVNULL)
    project = root / "mlcollage"
    shutil.rmtree(project / "templates", ignore_errors=True)
    shutil.copytree(SRC / "templates", project / "templates")  # the measured tree's templates
    print(f"[n={n}] freezing mlcollage slides (no drawing)", flush=True)
    r = subprocess.run([str(MLC_PY), str(BENCH / "corpus.py"), "freeze", str(project),
                        "--src", str(SRC)], capture_output=True, text=True)
    with open(log, "a") as fh:
        fh.write(r.stdout + r.stderr)
    if r.returncode:
        sys.exit(f"freeze failed (see {log}):\n{r.stderr[-2000:]}")
    print(f"[n={n}] {r.stdout.strip()}", flush=True)
    return root


def corpus_is_current(manifest: dict) -> bool:
    """Whether a corpus was laid out by today's corpus.py (a larger corpus than 1000 entries
    made before 2026-12 ran into the future, past its last month)."""
    sys.path.insert(0, str(BENCH))
    import corpus

    n = manifest.get("n", 0)
    return n <= 1000 or manifest.get("last_month") == "{:04d}-{:02d}".format(*corpus.LAST_MONTH)


def edit_entry(root: Path, tool: str, manifest: dict, originals: dict, token: str) -> None:
    """Append a sentence with `token` to the edited summary (the last paragraph)."""
    path = root / folder(tool) / manifest["edit_files"][folder(tool)]
    if path not in originals:
        originals[path] = path.read_text(encoding="utf-8")
    text = originals[path].rstrip("\n")
    path.write_text(f"{text} This sentence was edited by the benchmark ({token}).\n",
                    encoding="utf-8")


def edited_page(root: Path, tool: str, manifest: dict) -> Path:
    out = root / folder(tool) / TOOLS[tool][1]
    slug = manifest["edit_slug"]
    month = Path(manifest["edit_files"]["mlcollage"]).parts[1]
    return out / month / slug / "index.html"


# ---------------------------------------------------------------------------------------------
# the comparison


def bench_n(n: int, tools: list[str], repeats: int, scenarios: list[str], regen: bool,
            log: Path, slow: dict[str, int]) -> list[dict]:
    root = prepare(n, regen, log, tools)
    manifest = json.loads((root / "corpus.json").read_text())
    figures = root / "mlcollage" / "figures"
    frozen = snapshot(figures)
    originals: dict[Path, str] = {}
    rows = []
    try:
        for rep in range(repeats):
            order = tools[rep % len(tools):] + tools[: rep % len(tools)]
            for tool in order:
                if rep >= slow.get(tool, repeats):
                    continue
                cmd, out_name, clean = TOOLS[tool]
                if folder(tool) == "mlcollage":
                    cmd = mlc(*cmd[1:])
                cwd = root / folder(tool)
                for sc in scenarios:
                    problems = []
                    if sc == "cold":
                        for name in clean:
                            p = cwd / name
                            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
                    token = f"benchedit-{n}-{rep}-{tool}"
                    if sc == "edit":
                        edit_entry(root, tool, manifest, originals, token)
                    la = loadavg()
                    code = code_hash() if folder(tool) == "mlcollage" else ""
                    r = timed(cmd, cwd, log, env=TOOL_ENVS.get(tool))
                    pages = count_html(cwd / out_name)
                    size = html_mib(cwd / out_name)
                    if r["rc"] != 0:
                        problems.append(f"exit {r['rc']}")
                    if pages == 0:
                        problems.append("no HTML written")
                    if sc == "edit":
                        page = edited_page(root, tool, manifest)
                        if not page.is_file() or token not in page.read_text(errors="replace"):
                            problems.append(f"edit not in {page.relative_to(root)}")
                    if folder(tool) == "mlcollage" and snapshot(figures) != frozen:
                        problems.append("figures/ changed: something was drawn or run")
                        frozen = snapshot(figures)
                    row = {"n": n, "tool": tool, "scenario": sc, "rep": rep, "pages": pages,
                           "load": la, "problems": problems, "code": code, "html_mib": size, **r}
                    rows.append(row)
                    flag = "  !! " + "; ".join(problems) if problems else ""
                    print(f"[n={n} rep {rep + 1}/{repeats}] {tool:16s} {sc:5s} "
                          f"cpu {r['cpu']:7.2f} s  wall {r['wall']:7.2f} s  "
                          f"rss {r['rss_mib']:6.0f} MiB  {pages:6d} html  load {la[0]:.2f}{flag}",
                          flush=True)
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["n"], r["tool"], r["scenario"]), []).append(r)
    out = []
    for (n, tool, sc), rs in groups.items():
        ok = [r for r in rs if not r["problems"]]
        use = ok or rs
        codes = sorted({r["code"] for r in rs if r.get("code")})
        out.append({
            "n": n, "tool": tool, "scenario": sc, "runs": len(rs), "failed": len(rs) - len(ok),
            "cpu": statistics.median(r["cpu"] for r in use),
            "wall": statistics.median(r["wall"] for r in use),
            "rss_mib": max(r["rss_mib"] for r in use),
            "pages": statistics.median(r["pages"] for r in use),
            "html_mib": statistics.median(r.get("html_mib", 0) for r in use),
            "problems": sorted({p for r in rs for p in r["problems"]})
            + ([f"mlcollage code changed during the run: {codes}"] if len(codes) > 1 else []),
        })
    return out


def table(summary: list[dict]) -> str:
    idx = {(s["n"], s["tool"], s["scenario"]): s for s in summary}
    lines = [
        "| N | tool | scenario | CPU s | wall s | peak RSS MiB | HTML pages | HTML MiB | runs | "
        "mlcollage/tool CPU | mlcollage/tool wall |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary:
        m = idx.get((s["n"], "mlcollage", s["scenario"]))
        rc = rw = ""
        if m and s["tool"] != "mlcollage":
            rc = f"{m['cpu'] / s['cpu']:.2f}" if s["cpu"] else "∞"
            rw = f"{m['wall'] / s['wall']:.2f}" if s["wall"] else "∞"
        runs = f"{s['runs']}" + (f" ({s['failed']} failed)" if s["failed"] else "")
        if s["problems"]:
            runs += " **" + "; ".join(s["problems"]) + "**"
        lines.append(
            f"| {s['n']} | {s['tool']} | {s['scenario']} | {s['cpu']:.2f} | {s['wall']:.2f} | "
            f"{s['rss_mib']:.0f} | {s['pages']:.0f} | {s['html_mib']:.1f} | {runs} | {rc} | {rw} |"
        )
    return "\n".join(lines)


def growth(summary: list[dict]) -> str:
    """Per tool: each scenario's median CPU and wall at every N, then the slope per 1000
    entries (least squares over the Ns measured; with two Ns, the line through both)."""
    idx = {(s["n"], s["tool"], s["scenario"]): s for s in summary}
    ns = sorted({s["n"] for s in summary})
    tools = list(dict.fromkeys(s["tool"] for s in summary))
    scen = [sc for sc in SCENARIOS if any(s["scenario"] == sc for s in summary)]
    head = " | ".join(f"{sc} CPU s | {sc} wall s" for sc in scen)
    lines = [f"| tool | N | {head} |", "|---|---:|" + "---:|" * 2 * len(scen)]
    for tool in tools:
        for n in ns:
            cells = []
            for sc in scen:
                s = idx.get((n, tool, sc))
                cells += [f"{s['cpu']:.2f}", f"{s['wall']:.2f}"] if s else ["", ""]
            lines.append(f"| {tool} | {n} | " + " | ".join(cells) + " |")
        cells = []
        for sc in scen:
            for metric in ("cpu", "wall"):
                pts = [(n, idx[(n, tool, sc)][metric]) for n in ns if (n, tool, sc) in idx]
                cells.append(f"{slope(pts) * 1000:+.3f}" if len(pts) > 1 else "")
        lines.append(f"| {tool} | **per 1000 entries** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of y over x (seconds per entry)."""
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


# ---------------------------------------------------------------------------------------------
# February 2021 cold, --help, profile


def feb2021(log: Path, timeout: float, jobs: int | None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="mlc-feb2021-"))
    try:
        shutil.copytree(REPO / "site_src", tmp / "site_src")
        shutil.copytree(SRC / "templates", tmp / "templates")
        (tmp / "figures").mkdir()
        cmd = mlc("build", "-C", str(tmp)) + (["-j", str(jobs)] if jobs else [])
        la0 = loadavg()
        r = timed(cmd, tmp, log, timeout=timeout)
        cores = os.cpu_count() or 1
        results = sorted(str(p.relative_to(tmp)) for p in (tmp / "figures").rglob("result.json"))
        slides = sorted(str(p.relative_to(tmp)) for p in (tmp / "figures").rglob("slide.png"))
        return {**r, "cores": cores, "utilisation": r["cpu"] / (r["wall"] * cores),
                "load_before": la0, "load_after": loadavg(), "results": results,
                "slides": slides, "pages": count_html(tmp / "_site"), "cmd": " ".join(cmd)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def help_time(log: Path, repeats: int) -> dict:
    rs = [timed(mlc("--help"), REPO, log) for _ in range(repeats)]
    return {"wall": statistics.median(r["wall"] for r in rs),
            "cpu": statistics.median(r["cpu"] for r in rs),
            "rc": max(r["rc"] for r in rs), "runs": len(rs)}


def profile(n: int, log: Path, top: int) -> str:
    """cProfile mlcollage's cold build and its no-op rebuild at N; return a text report."""
    import pstats

    root = prepare(n, False, log)
    project = root / "mlcollage"
    out_dir = BENCH / "profiles"
    out_dir.mkdir(exist_ok=True)
    report = []
    for sc in ("cold", "noop"):
        if sc == "cold":
            for name in TOOLS["mlcollage"][2]:
                p = project / name
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        prof = out_dir / f"n{n}-{sc}.prof"
        cmd = mlc("build", "-C", ".")
        cmd = [str(MLC_PY), "-m", "cProfile", "-o", str(prof),
               *(cmd if SRC == REPO else cmd[1:])]
        r = timed(cmd, project, log)
        report.append(f"## mlcollage build, N={n}, {sc} (under cProfile: wall {r['wall']:.2f} s, "
                      f"cpu {r['cpu']:.2f} s, rc {r['rc']})\n")
        for key in ("cumulative", "tottime"):
            import io

            buf = io.StringIO()
            st = pstats.Stats(str(prof), stream=buf)
            st.sort_stats(key).print_stats(top)
            text = buf.getvalue()
            report.append(f"### sorted by {key}\n```\n" + text[text.find("   ncalls"):] + "```\n")
    path = out_dir / f"n{n}.md"
    path.write_text("\n".join(report))
    return str(path)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="*", default=[], help="corpus sizes, e.g. 100 1000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tools", nargs="*", default=list(TOOLS), choices=list(TOOLS))
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=SCENARIOS)
    ap.add_argument("--max-repeats", nargs="*", default=[], metavar="TOOL=K",
                    help="cap the repeats of slow tools, e.g. mkdocs-material=2")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpora")
    ap.add_argument("--feb2021", action="store_true", help="February 2021 digest cold, full mode")
    ap.add_argument("--feb-timeout", type=float, default=1800)
    ap.add_argument("--feb-jobs", type=int, default=None)
    ap.add_argument("--help-time", action="store_true", help="time `mlcollage --help`")
    ap.add_argument("--profile", type=int, metavar="N", help="cProfile mlcollage at N")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--src", type=Path, help="measure the mlcollage in this source tree "
                    "(default: the working tree, through .venv's editable install)")
    ap.add_argument("--rev", help="measure this git revision (exported read-only with "
                    "`git archive` into bench/corpora/src-REV)")
    a = ap.parse_args(argv)
    global SRC
    if a.rev:
        SRC = export_rev(a.rev)
    elif a.src:
        SRC = a.src.resolve()

    missing = [t for t in a.tools if folder(t) != "mlcollage" and t != "hugo"
               and not (PEERS / TOOLS[t][0][0].split("/")[-1]).exists()]
    if a.n and missing:
        sys.exit(f"peer tools missing in {PEERS}: {missing}; see bench/README.md (setup)")
    if a.n and "hugo" in a.tools and not shutil.which("hugo"):
        sys.exit("hugo not on PATH: apt-get install -y hugo")

    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log = RESULTS / f"{stamp}.log"
    slow = {k: int(v) for k, v in (s.split("=") for s in a.max_repeats)}
    record = {
        "started": stamp, "machine": platform.platform(), "cores": os.cpu_count(),
        "python": platform.python_version(), "load_start": loadavg(), "argv": sys.argv[1:],
        "versions": versions(), "git": git_state(), "code": code_hash(),
    }
    print(f"load average at start: {record['load_start']}  (cores: {os.cpu_count()})", flush=True)
    md = [f"mlcollage at {record['git']} (sources+templates hash {record['code']}); "
          f"{record['versions']}; load average at start {record['load_start']}"]
    print(md[0], flush=True)
    if a.help_time:
        record["help"] = help_time(log, 5)
        h = record["help"]
        md.append(f"`mlcollage --help`: median wall {h['wall']:.3f} s, "
                  f"CPU {h['cpu']:.3f} s ({h['runs']} runs, rc {h['rc']})")
        print(md[-1], flush=True)
    rows = []
    for n in a.n:
        rows += bench_n(n, a.tools, a.repeats, a.scenarios, a.regen, log, slow)
    if rows:
        record["rows"] = rows
        record["summary"] = summarise(rows)
        md.append(table(record["summary"]))
        print("\n" + md[-1], flush=True)
        if len(a.n) > 1:
            md.append("Growth with N (medians; slope in seconds per 1000 entries):\n\n"
                      + growth(record["summary"]))
            print("\n" + md[-1], flush=True)
    if a.feb2021:
        print("February 2021 cold, full mode (runs all four experiments) ...", flush=True)
        f = feb2021(log, a.feb_timeout, a.feb_jobs)
        record["feb2021"] = f
        md.append(
            f"February 2021 cold (`{f['cmd']}`): rc {f['rc']}, wall {f['wall']:.1f} s, "
            f"children CPU {f['cpu']:.1f} s (user {f['user']:.1f}, sys {f['sys']:.1f}), "
            f"core utilisation {f['utilisation']:.0%} of {f['cores']} cores, peak RSS "
            f"{f['rss_mib']:.0f} MiB, {len(f['results'])} result.json, {len(f['slides'])} "
            f"slides, {f['pages']} HTML pages; load before {f['load_before']}, "
            f"after {f['load_after']}"
        )
        print(md[-1], flush=True)
    if a.profile:
        record["profile"] = profile(a.profile, log, a.top)
        md.append(f"profile report: {record['profile']}")
        print(md[-1], flush=True)
    record["load_end"] = loadavg()
    md.append(f"load average: start {record['load_start']}, end {record['load_end']}; "
              f"log: {log.relative_to(REPO)}")
    print(md[-1])
    (RESULTS / f"{stamp}.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    (RESULTS / f"{stamp}.md").write_text("\n\n".join(md) + "\n")
    print(f"results: {RESULTS / stamp}.{{json,md,log}}")
    return 0 if all(not r["problems"] for r in rows) else 1


def export_rev(rev: str) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()
    dest = BENCH / "corpora" / f"src-{sha}"
    if not (dest / "mlcollage").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def versions() -> dict[str, str]:
    out = {}
    for name, cmd in {
        "hugo": ["hugo", "version"],
        "pelican": [str(PEERS / "pelican"), "--version"],
        "mkdocs": [str(PEERS / "mkdocs"), "--version"],
        "mkdocs-material": [str(PEERS / "python"), "-c",
                            "import importlib.metadata as m; print(m.version('mkdocs-material'))"],
        "mlcollage": [str(MLC_PY), "-c",
                      "import importlib.metadata as m; print(m.version('mlcollage'))"],
    }.items():
        try:
            out[name] = subprocess.run(cmd, capture_output=True, text=True,
                                       timeout=60).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            out[name] = "missing"
    return out


if __name__ == "__main__":
    sys.exit(main())
