"""`mlcollage new --bibtex`: the names, venue and links a Zotero export gives, decoded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcollage.content.bibtex import parse_bibtex
from mlcollage.content.scaffold import ScaffoldError

from helpers import build, make_project, run_cli

ZOTERO = r"""
@string{procieee = "Proceedings of the {IEEE}"}

@article{scholkopf_toward_2021,
	title = {Toward {Causal} {Representation} {Learning}: {Models} \& {Methods}},
	volume = {109},
	issn = {1558-2256},
	shorttitle = {Toward {Causal} {Representation} {Learning}},
	url = {https://ieeexplore.ieee.org/document/9363924},
	doi = {10.1109/JPROC.2021.3058954},
	number = {5},
	urldate = {2021-03-02},
	journal = procieee,
	author = {Sch\"{o}lkopf, Bernhard and Locatello, Francesco and Bauer, Stefan and Ke, Nan Rosemary and Kalchbrenner, Nal and Goyal, Anirudh and Bengio, Yoshua},
	month = may,
	year = {2021},
	keywords = {Computer Science - Machine Learning},
	pages = {612--634},
}
"""


def test_a_zotero_entry_with_accents_and_a_string_venue() -> None:
    e = parse_bibtex(ZOTERO, "z.bib")
    assert e.title == "Toward Causal Representation Learning: Models & Methods"
    assert e.authors[0] == "Bernhard Schölkopf" and e.authors[3] == "Nan Rosemary Ke"
    assert len(e.authors) == 7
    assert e.venue == "Proceedings of the IEEE" and e.year == 2021
    assert dict(e.links) == {"paper": "https://ieeexplore.ieee.org/document/9363924",
                             "doi": "https://doi.org/10.1109/JPROC.2021.3058954"}


@pytest.mark.parametrize("bib,venue,names", [
    (r'@string{nips = "Advances in NeurIPS"} @inproceedings{k, title={T}, author={G{\"o}del, '
     r'Kurt and van der Maaten, Laurens}, booktitle = nips # " 33", year=2020}',
     "Advances in NeurIPS 33", ("Kurt Gödel", "Laurens van der Maaten")),
    (r"@phdthesis{k, title={T}, author={{\'E}mile Borel}, school={{\'E}cole normale}, year=1893}",
     "PhD thesis, École normale", ("Émile Borel",)),
    (r"@misc{k, title={T}, author={Ada Lovelace}, eprint={2006.10739}, archivePrefix={arXiv}}",
     "arXiv preprint", ("Ada Lovelace",)),
])
def test_entry_types_concatenation_and_names(bib: str, venue: str, names: tuple[str, ...]) -> None:
    e = parse_bibtex(bib)
    assert (e.venue, e.authors) == (venue, names)


def test_several_entries_say_so() -> None:
    with pytest.raises(ScaffoldError, match=r"2 entries \(a \(line 1\), b \(line 2\)\)"):
        parse_bibtex("@misc{a, title={A}, author={X}, year=2020}\n"
                     "@misc{b, title={B}, author={Y}, year=2021}", "two.bib")


def test_imported_entry_is_escaped_once_on_the_page(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    bib = tmp_path / "z.bib"
    bib.write_text(ZOTERO)
    made = run_cli("new", "-C", project, "2020-01", "--bibtex", bib, "--no-experiment")
    assert made.code == 0, made.err
    index = project / "site_src/2020-01/scholkopf-2021-causal-representation/index.md"
    text = index.read_text()
    assert '"Bernhard Schölkopf"' in text and 'venue: "Proceedings of the IEEE"' in text
    assert 'doi: "https://doi.org/10.1109/JPROC.2021.3058954"' in text
    index.write_text(text.replace("TODO:", "Done:"))
    build(project, "--no-run", "--only", "scholkopf-2021-causal-representation", "-j", "1")
    page = (project / "_site/2020-01/scholkopf-2021-causal-representation/index.html").read_text()
    assert "Models \\&amp; Methods" in page  # BibTeX's \& once, HTML-escaped once
    assert "\\textbackslash" not in page and "&amp;amp;" not in page
