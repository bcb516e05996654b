"""Claims that can fail (issue 17): controls in the contract, on the page, under --strict,
in the cache; seeds with spread; deviations."""

from __future__ import annotations

import re
from pathlib import Path

from mlcollage.content.source import declared

from helpers import ALPHA, GAMMA, build, run_cli


def runs(result) -> list[str]:
    """The labels of the runs a build made ('alpha-2019-toy (control untrained)', ...)."""
    return sorted(m.group(1) for m in re.finditer(r"^\[\d+/\d+\] ran (.+?) in ", result.err, re.M))


def add_control(project: Path, control: str) -> Path:
    script = project / ALPHA / "experiment.py"
    text = script.read_text()
    script.write_text(text.replace("CONTROLS = [\n", "CONTROLS = [\n" + control, 1))
    return script


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_unknown_claim_id_in_a_control_is_a_path_line_error(project: Path) -> None:
    script = add_control(project, '    Control(name="bad", label="x", override={"lr": 0.0},\n'
                                  '            breaks=("slope", "nope")),\n')
    for verb in ("check", "build"):
        result = run_cli(verb, "-C", project)
        assert result.code == 2, result.err
        line = line_of(script, 'Control(name="bad"')
        assert (f"{script}:{line}: control 'bad' breaks unknown claim id 'nope'; expected one of "
                "the file's claim ids: slope, loss-falls") in result.err
    assert not (project / "_site").exists() and not any((project / "figures").iterdir())


def test_control_overriding_an_unknown_field_is_a_path_line_error(project: Path) -> None:
    script = add_control(project, '    Control(name="bad", label="x", override={"learning_rate": 0},'
                                  ' breaks=("slope",)),\n')
    result = run_cli("check", "-C", project)
    assert result.code == 2
    line = line_of(script, 'Control(name="bad"')
    assert f"{script}:{line}: control 'bad' overrides unknown Config field 'learning_rate'" in result.err


def test_control_must_be_literal_and_named_once(project: Path) -> None:
    script = add_control(project, '    Control(name="untrained", label="again", override={"lr": 0.0},'
                                  ' breaks=("slope",)),\n    Control(name=NAME, label="x", '
                                  'override={}, breaks=()),\n')
    result = run_cli("check", "-C", project)
    assert result.code == 2
    assert "control 'untrained': the name must be a unique short id" in result.err
    assert f"{script}:{line_of(script, 'name=NAME')}: CONTROLS/DEVIATIONS: arguments must be literals" in result.err


def test_the_page_shows_each_claim_under_its_control(project: Path) -> None:
    build(project)
    alpha = (project / "_site/2020-01/alpha-2019-toy/index.html").read_text()
    claim = alpha[alpha.index('id="claim-alpha-2019-toy-slope"'):]
    claim = claim[: claim.index("</li>")]
    assert "Holds in 3 of 3 seeds; abs_error " in claim  # mean (min–max) over the seeds
    under = re.search(r"Fails when the line is not trained \(step size 0\): .*\|w - 2.0\| = "
                      r"(\d\.\d+) ≤ 0.05", claim)
    assert under and float(under.group(1)) > 1.9  # untrained, w stays at 0: the claim's number
    assert "How this run departs from the paper (1)" in alpha
    gamma = (project / "_site/2019-12/gamma-2019-old/index.html").read_text()
    assert "<strong>Failed control:</strong> still holds when twice the points:" in gamma
    assert 'class="no"><span class="mark" aria-hidden="true">✗' in gamma


def test_strict_fails_on_a_failed_control_with_the_claims_id(project: Path) -> None:
    build(project)
    before = {p: p.read_bytes() for p in (project / "_site").rglob("*") if p.is_file()}
    result = build(project, "--strict", "--no-cache", code=1)
    assert ("gamma-2019-old: claim 'near-pi' still holds under control 'more-points' "
            "(twice the points)") in result.err
    assert {p: p.read_bytes() for p in (project / "_site").rglob("*") if p.is_file()} == before
    check = run_cli("check", "-C", project, "--strict")
    assert check.code == 1 and "claim 'near-pi' still holds under control 'more-points'" in check.err


def test_strict_fails_on_an_untested_claim(project: Path) -> None:
    script = project / GAMMA / "experiment.py"
    text = script.read_text()
    start, end = text.index("CONTROLS = ["), text.index("]\n", text.index("CONTROLS = [")) + 2
    script.write_text(text[:start] + text[end:])
    build(project)
    page = (project / "_site/2019-12/gamma-2019-old/index.html").read_text()
    assert "Not tested against a control." in page
    result = build(project, "--strict", "--no-cache", code=1)
    assert "gamma-2019-old: claim 'near-pi' is not tested against a control" in result.err


def test_a_control_reruns_only_when_its_inputs_change(project: Path) -> None:
    first = build(project)
    assert "alpha-2019-toy (control untrained)" in runs(first)
    assert runs(build(project, "--no-cache")) == []  # every result and control is current
    index = project / ALPHA / "index.md"
    index.write_text(index.read_text().replace("tags: [toy, regression]",
                                               "tags: [toy, regression]\nexperiment: {config: {steps: 250}}"))
    # a front-matter override changes the published seeds, not the quick control
    assert runs(build(project)) == ["alpha-2019-toy", "alpha-2019-toy (seed 1)",
                                    "alpha-2019-toy (seed 2)"]
    script = project / ALPHA / "experiment.py"
    script.write_text(script.read_text().replace('override={"lr": 0.0}', 'override={"lr": 0.0, "n": 50}'))
    assert "alpha-2019-toy (control untrained)" in runs(build(project))


def test_quick_mode_runs_one_seed_and_the_controls(project: Path) -> None:
    assert runs(build(project, "--quick")) == [
        "alpha-2019-toy", "alpha-2019-toy (control untrained)",
        "gamma-2019-old", "gamma-2019-old (control more-points)"]
    assert (project / "figures/.quick/2020-01/alpha-2019-toy/controls/untrained/result.json").is_file()


def test_declared_reads_controls_deviations_and_ids_without_importing(tmp_path: Path) -> None:
    script = tmp_path / "experiment.py"
    script.write_text(
        "import does_not_exist\n"
        "CONTROLS = [Control('untrained', 'not trained', {'lr': 0.0}, ('a', 'b'))]\n"
        "DEVIATIONS = [Deviation(what='steps', paper='60k', ours='4k', why='CPU')]\n"
        "def claims(r):\n"
        "    return [Claim('a', 's', True), Claim(id='b', statement='t', holds=False),\n"
        "            Claim.baseline_learned('np-learned', 'NP', 1, 2, 0.5)]\n"
    )
    d = declared(script)
    assert [(c.name, c.label, c.override, c.breaks, c.mode, c.line) for c in d.controls] == [
        ("untrained", "not trained", {"lr": 0.0}, ("a", "b"), "quick", 2)]
    assert [(x.what, x.paper, x.ours, x.why) for x in d.deviations] == [("steps", "60k", "4k", "CPU")]
    assert d.claim_ids == ("a", "b", "np-learned") and d.problems == ()


def test_claim_ids_are_checked_and_baselines_must_be_baseline_claims() -> None:
    import pytest

    from mlcollage.experiment import Claim, ContractError, check_claims

    good = Claim.baseline_learned("np-learned", "NP", 0.1, 0.3, 0.5)
    assert good.holds and good.kind == "baseline" and "0.333x" in good.statement
    assert not Claim.baseline_learned("np-learned", "NP", 0.29, 0.3, 0.5).holds
    uses = Claim("ctx-fit", "ANP fits the context", True, baseline="np-learned")
    assert check_claims([good, uses], "w") == [good, uses]
    with pytest.raises(ContractError, match="claim id 'a' is used twice"):
        check_claims([Claim("a", "x", True), Claim("a", "y", True)], "w")
    with pytest.raises(ContractError, match="claim id 'Low First' is not valid"):
        check_claims([Claim("Low First", "x", True)], "w")
    with pytest.raises(ContractError, match="names baseline 'ctx-fit', which is not a "
                                            "Claim.baseline_learned claim"):
        check_claims([good, uses, Claim("x", "y", True, baseline="ctx-fit")], "w")
