"""Broken knowledge files are refused with FILE:LINE lines; the shipped one holds every fact."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import KnowledgeBase
from bot.knowledge.yamlfile import MAX_FILE_BYTES

SOURCES = "sources:\n  - id: article\n    title: The article\n    publisher: NextNews\n"
CLUSTER = """clusters:
  - id: tokyo-yokohama
    name: Tokyo–Yokohama
    rank: 2
    rank_source: article
    economies: [japan]
    aliases: [Tokyo]
    headline: Practical
    summary: {text: A cluster., source: article}
    sights:
      - id: teamlab-planets
        name: teamLab Planets
        what: Digital art.
        why: It reacts to you.
        themes: [art]
        location: {lat: 35.6, lon: 139.7, source: article}
        map_query: teamLab Planets Tokyo
        source: article
economies:
  - id: japan
    name: Japan
themes:
  - id: art
    name: Art
    keywords: [art]
"""

# (case, text of cluster.yaml, expected line, fragment of the message)
BROKEN = [
    (
        "syntax error",
        CLUSTER.replace("aliases: [Tokyo]", "aliases: [Tokyo"),
        7,
        "YAML syntax error",
    ),
    ("tab indentation", CLUSTER.replace("    rank: 2", "\trank: 2"), 4, "tabs cannot indent"),
    (
        "unknown key",
        CLUSTER.replace("    headline:", "    colour: red\n    headline:"),
        8,
        "unknown key 'colour'",
    ),
    ("misspelt key", CLUSTER.replace("    rank: 2", "    rnak: 2"), 4, "did you mean 'rank'"),
    (
        "python tag",
        CLUSTER.replace(
            "headline: Practical", 'headline: !!python/object/apply:os.system ["echo hi"]'
        ),
        8,
        "is not allowed",
    ),
    ("empty file", "", 1, "file is empty"),
    ("rank as a word", CLUSTER.replace("rank: 2", "rank: two"), 4, "valid integer"),
    ("negative rank", CLUSTER.replace("rank: 2", "rank: -2"), 4, "greater than or equal to 1"),
    (
        "latitude out of range",
        CLUSTER.replace("lat: 35.6", "lat: 123"),
        16,
        "less than or equal to 90",
    ),
    ("top level not a mapping", "- a\n- b\n", 1, "top level must be a mapping"),
    (
        "duplicate key",
        CLUSTER.replace("    rank: 2\n", "    rank: 2\n    rank: 3\n"),
        5,
        "duplicate key 'rank' (first on line 4)",
    ),
    (
        "unresolved source",
        CLUSTER.replace("rank_source: article", "rank_source: nowhere"),
        5,
        "unknown source 'nowhere'",
    ),
    (
        "id not kebab-case",
        CLUSTER.replace("id: tokyo-yokohama", "id: Tokyo_Yokohama"),
        2,
        "should match pattern",
    ),
    (
        "alias shared without saying so",
        CLUSTER.replace("aliases: [Tokyo]", "aliases: [Tokyo, Japan]"),
        21,
        "alias 'Japan' also names",
    ),
]


@pytest.mark.parametrize(("case", "body", "line", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_is_refused_with_file_and_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    body: str,
    line: int,
    fragment: str,
) -> None:
    (tmp_path / "sources.yaml").write_text(SOURCES)
    broken = tmp_path / "cluster.yaml"
    broken.write_text(body, encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    wanted = f"{broken}:{line}: "
    matching = [x for x in out if x.startswith(wanted) and fragment in x]
    assert matching, f"{case}: no line starting {wanted!r} with {fragment!r} in {out}"


def test_duplicate_rank_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sources.yaml").write_text(SOURCES)
    (tmp_path / "a.yaml").write_text(CLUSTER)
    second = (
        "clusters:\n  - id: other\n    name: Other\n    rank: 2\n    rank_source: article\n"
        "    economies: [japan]\n    aliases: [Osaka]\n    headline: H\n"
        "    summary: {text: S., source: article}\n"
    )
    (tmp_path / "b.yaml").write_text(second)
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'b.yaml'}:4: duplicate rank 2 (also at {tmp_path / 'a.yaml'}:4)" in out


def test_valid_base_passes(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(SOURCES)
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    assert main(["validate", str(tmp_path)]) == 0


def test_python_tag_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "sources.yaml").write_text(SOURCES)
    (tmp_path / "x.yaml").write_text(
        f'clusters: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    assert main(["validate", str(tmp_path)]) == 1
    assert not marker.exists()


def test_oversized_and_non_utf8_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "big.yaml").write_text("#" * (MAX_FILE_BYTES + 1))
    (tmp_path / "latin1.yaml").write_bytes(b"sources: []\n# caf\xe9\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'big.yaml'}:1: file is" in out
    assert f"{tmp_path / 'latin1.yaml'}:2: not valid UTF-8" in out


def test_missing_path_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "Traceback" not in capsys.readouterr().out


def _find_sight(kb: KnowledgeBase, name: str) -> str:
    for cluster in kb.clusters:
        for sight in cluster.sights:
            texts = [sight.name, *(a if isinstance(a, str) else a.text for a in sight.aliases)]
            if any(name.casefold() in t.casefold() for t in texts):
                return sight.id
    raise AssertionError(f"no sight named like {name!r}")


def test_every_named_sight_and_figure_is_present(kb: KnowledgeBase) -> None:
    assert [(c.id, c.rank) for c in kb.clusters] == [
        ("shenzhen-hong-kong-guangzhou", 1),
        ("tokyo-yokohama", 2),
        ("san-jose-san-francisco", 3),
        ("beijing", 4),
        ("seoul", 5),
    ]
    for name in [
        "Symphony of Lights",
        "PMQ",
        "Open Innovation Lab",
        "OCT Loft",
        "Design Society",
        "drone show",
        "Henn Na Hotel",
        "Yurikamome",
        "teamLab Planets",
        "Waymo",
        "Apollo",
        "smart-city",
        "transit",
        "Cheonggyecheon",
        "Cheongyecheon",
        "convenience store",
        "city hubs",
    ]:
        _find_sight(kb, name)
    figures = {(c.id, s.measure): s.value for c in kb.clusters for s in c.stats}
    assert figures[("tokyo-yokohama", "pct-filings")] == 10.3
    assert figures[("san-jose-san-francisco", "vc-deals")] == 6.9
    assert ("san-jose-san-francisco", "innovation-per-capita") in figures
    assert figures[("beijing", "scientific-publications")] == 4.0
    assert figures[("seoul", "pct-filings")] == 5.4
    assert figures[("shenzhen-hong-kong-guangzhou", "drone-record")] == 12000
    ranked = [e.name for e in kb.ranked_economies()][:10]
    assert ranked[0] == "Switzerland" and ranked[9] == "China"
    assert all(o.press_reported for o in kb.other_clusters)
    with_pins = {s.id for c in kb.clusters for s in c.sights if s.location is not None}
    assert _find_sight(kb, "Open Innovation Lab") not in with_pins
    assert _find_sight(kb, "Henn Na Hotel") not in with_pins
    assert _find_sight(kb, "teamLab Planets") in with_pins
