"""Validation: one case per rule, each with its exact `path:line: message`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlcollage.content.load import link_ok, load_site
from mlcollage.model import InputError

from helpers import run_cli

PAPER = "site_src/2020-01/alpha-2019-toy/index.md"
GOOD_FM = """title: A Toy Paper
authors: [Ada Alpha]
year: 2019
"""


def write_paper(project: Path, front_matter: str, body: str = "Summary.\n") -> str:
    (project / PAPER).write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    return str(project / PAPER)


def errors(project: Path) -> list[str]:
    result = run_cli("check", "-C", project)
    assert result.code == 2, result
    assert "Traceback" not in result.err
    return [line for line in result.err.splitlines() if not line.startswith("mlcollage:")]


CASES = {
    "bad-yaml": (
        GOOD_FM + "tags: [a, b\n",
        5,
        "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence); "
        "expected a YAML mapping of `field: value` lines",
    ),
    "unknown-field": (GOOD_FM + "titel: x\n", 5, "unknown field 'titel'; did you mean 'title'?"),
    "unknown-field-no-match": (
        GOOD_FM + "zzz: 1\n",
        5,
        "unknown field 'zzz'; expected one of: arxiv, authors, draft, "
        "experiment, figure, links, number, slug, tags, takeaways, title, venue, year",
    ),
    "missing-title": (
        "authors: [A]\nyear: 2019\n",
        1,
        "missing required field 'title'; expected a string",
    ),
    "missing-authors": (
        "title: T\nyear: 2019\n",
        1,
        "missing required field 'authors'; expected a non-empty list of names",
    ),
    "missing-year": (
        "title: T\nauthors: [A]\n",
        1,
        "missing required field 'year'; expected a year such as 2019",
    ),
    "wrong-type-year": (
        GOOD_FM.replace("2019", "'twenty'"),
        4,
        "field 'year' is a string ('twenty'); expected a year such as 2019",
    ),
    "wrong-type-authors": (
        GOOD_FM.replace("[Ada Alpha]", "Ada Alpha"),
        3,
        "field 'authors' is a string ('Ada Alpha'); expected a non-empty list of names",
    ),
    "too-many-takeaways": (
        GOOD_FM + "takeaways: [a, b, c, d, e]\n",
        5,
        "field 'takeaways' is a list (['a', 'b', 'c', 'd', 'e']); "
        "expected a list of 1-4 short lines",
    ),
    "javascript-link": (
        GOOD_FM + "links:\n  paper: javascript:alert(1)\n",
        6,
        "link 'paper' is 'javascript:alert(1)'; expected an http(s) URL or a relative path",
    ),
    "data-link": (
        GOOD_FM + "links: {code: 'data:text/html,hi'}\n",
        5,
        "link 'code' is 'data:text/html,hi'; expected an http(s) URL or a relative path",
    ),
    "escaping-slug": (
        GOOD_FM + "slug: ../../etc\n",
        5,
        "slug '../../etc' would escape the output folder; "
        "expected lowercase letters, digits and hyphens",
    ),
    "bad-tag": (
        GOOD_FM + "tags: [Good Tag]\n",
        5,
        "tag 'Good Tag' is not valid; expected lowercase letters, digits and hyphens",
    ),
    "unknown-experiment-key": (
        GOOD_FM + "experiment:\n  confg: {steps: 3}\n",
        6,
        "unknown field 'experiment.confg'; did you mean 'config'?",
    ),
    "bad-seeds": (
        GOOD_FM + "experiment: {seeds: [0, -1]}\n",
        5,
        "field 'experiment.seeds' is a list ([0, -1]); "
        "expected a non-empty list of non-negative integers",
    ),
    "figure-missing-file": (
        GOOD_FM + "figure:\n  file: fig1.png\n  credit: Figure 1 of Alpha 2019\n  alt: A line\n",
        6,
        "figure file 'fig1.png' not found; expected {folder}/fig1.png",
    ),
    "figure-without-credit": (
        GOOD_FM + "figure:\n  file: notes.txt\n  alt: A line\n",
        5,
        "missing required field 'figure.credit'; "
        "expected a credit line such as 'Figure 1 of Rahaman et al. 2019, CC BY 4.0'",
    ),
    "figure-not-an-image": (
        GOOD_FM + "figure: {file: notes.txt, credit: Figure 1 of Alpha 2019, alt: A line}\n",
        5,
        "figure file 'notes.txt' is not an image; expected a .png or .jpg",
    ),
    "figure-outside-folder": (
        GOOD_FM + "figure: {file: ../../site.yaml, credit: Fig. 1, alt: A line}\n",
        5,
        "figure file '../../site.yaml' is outside the paper's folder; "
        "expected a file beside index.md",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_paper_rule(project: Path, case: str) -> None:
    front, line, message = CASES[case]
    path = write_paper(project, front)
    message = message.format(folder=Path(path).parent)
    assert errors(project) == [f"{path}:{line}: {message}"]


def test_no_front_matter(project: Path) -> None:
    (project / PAPER).write_text("just text\n")
    assert errors(project) == [
        f"{project / PAPER}:1: no front matter; expected the file to start with a '---' line, "
        "YAML fields, and a closing '---' line"
    ]


def test_every_problem_reported_at_once(project: Path) -> None:
    write_paper(project, "title: T\nyear: x\nfoo: 1\n")
    other = project / "site_src/2019-12/gamma-2019-old/index.md"
    other.write_text("---\ntitle: [unclosed\n---\n")
    assert len(errors(project)) == 4  # missing authors, wrong year, unknown foo, bad YAML


def test_month_folder_name(project: Path) -> None:
    shutil.move(project / "site_src/2019-12", project / "site_src/2019-13")
    assert errors(project) == [
        f"{project / 'site_src/2019-13'}:1: month folder '2019-13' is not "
        "a month; expected YYYY-MM such as 2021-02"
    ]


def test_duplicate_slug(project: Path) -> None:
    dup = project / "site_src/2019-12/alpha-2019-toy"
    shutil.copytree(project / "site_src/2020-01/beta-2018-second", dup)
    assert errors(project) == [
        f"{project / 'site_src/2020-01/alpha-2019-toy/index.md'}:1: duplicate slug "
        f"'alpha-2019-toy' (also used by {dup / 'index.md'}); expected unique paper slugs"
    ]


def test_digest_order_names_missing_folder(project: Path) -> None:
    index = project / "site_src/2020-01/index.md"
    index.write_text(
        index.read_text().replace("papers: [beta-2018-second", "papers: [beta-2018-secnd")
    )
    assert errors(project) == [
        f"{index}:5: papers lists 'beta-2018-secnd', which is not a folder here; "
        "did you mean 'beta-2018-second'?"
    ]


def test_site_yaml_base_url(project: Path) -> None:
    path = project / "site_src/site.yaml"
    path.write_text(path.read_text().replace("https://example.org/fixture/", "example.org"))
    assert errors(project) == [
        f"{path}:4: field 'base_url' is 'example.org'; expected an absolute http(s) URL"
    ]


def test_digest_missing_date(project: Path) -> None:
    index = project / "site_src/2019-12/index.md"
    index.write_text("---\ntitle: December\n---\nText\n")
    assert errors(project) == [
        f"{index}:1: missing required field 'date'; expected a date YYYY-MM-DD"
    ]


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://arxiv.org/abs/1", True),
        ("http://x.org", True),
        ("../code/", True),
        ("paper.pdf", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:x", False),
        ("file:///etc/passwd", False),
        ("mailto:a@b", False),
        ("//evil.org", False),
        ("", False),
        ("https://", False),
        ("java\nscript:x", False),
    ],
)
def test_link_ok(url: str, ok: bool) -> None:
    assert link_ok(url) is ok


def test_model_of_fixture(project: Path) -> None:
    site = load_site(project / "site_src")
    assert [d.month for d in site.digests] == ["2020-01", "2019-12"]
    jan = site.digests[0]
    assert [p.slug for p in jan.papers] == ["beta-2018-second", "alpha-2019-toy"]
    alpha = jan.papers[1]
    assert alpha.authors[0] == "Ada Alpha" and alpha.year == 2019
    assert alpha.experiment is not None and alpha.experiment.seeds == (0, 1, 2)
    assert jan.intro_md.startswith("The *intro*") and jan.outro_md == "The outro."


def test_real_site_is_valid() -> None:
    from helpers import REPO

    site = load_site(REPO / "site_src")
    feb = next(d for d in site.digests if d.month == "2021-02")
    assert [p.slug for p in feb.papers] == [
        "higgins-2020-semantic-disentanglement",
        "oktay-2020-randomized-autodiff",
        "rahaman-2019-spectral-bias",
        "kim-2019-attentive-neural-processes",
    ]
    for paper in feb.papers:
        assert 2 <= len(paper.takeaways) <= 4 and paper.links and paper.tags


def test_input_error_sorted() -> None:
    from mlcollage.model import Problem

    err = InputError([Problem(Path("b"), 1, "x"), Problem(Path("a"), 2, "y")])
    assert str(err) == "a:2: y\nb:1: x"


def test_impossible_date_is_an_input_error_with_its_line(project: Path) -> None:
    index = project / "site_src/2019-12/index.md"
    index.write_text("---\ntitle: December\ndate: 2019-13-31\n---\nText\n")
    assert errors(project) == [
        f"{index}:3: invalid date '2019-13-31' (month must be in 1..12); "
        "expected a real date as YYYY-MM-DD"
    ]
