"""The knowledge validator: the shipped files pass, and every kind of broken file is refused
with one ``FILE:LINE: message`` line per problem, at the exact line, and never a traceback.

Broken files are built from a small valid knowledge folder (a sources file and one cluster)
by breaking one thing per case.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.config import SHIPPED_KNOWLEDGE
from bot.knowledge import KnowledgeBase, load_knowledge, yamlfile
from bot.knowledge.schema import Cluster, Sight, Stat
from bot.text import normalise
from tests.fs_faults import deny

PROBLEM = re.compile(r"^(?P<file>[^:\n]+):(?P<line>[1-9][0-9]*): (?P<message>\S.*)$")
FOLDER_PROBLEM = re.compile(r"^(?P<file>[^:\n]+/): (?P<message>\S.*)$")  # a folder has no line

# Line numbers below are those of these texts; a test checks the anchors stay put.
SOURCES = """\
# Sources for the test knowledge.
sources:
  - id: article
    title: The article
    publisher: NextNews
  - id: wipo
    title: WIPO clusters page
    publisher: World Intellectual Property Organization (WIPO)
"""

CLUSTER = """\
# One cluster, small but complete.
economies:
  - id: japan
    name: Japan
themes:
  - id: robots
    name: Robots
    keywords: [robot]
clusters:
  - id: tokyo-yokohama
    name: Tokyo–Yokohama
    rank: 2
    rank_source: wipo
    economies: [japan]
    aliases: [Tokyo, Yokohama]
    headline: Practical innovation
    summary:
      text: Ranked second in the GII 2025.
      source: article
    sights:
      - id: henn-na-hotel
        name: Henn Na Hotel
        aliases: [Henna Hotel]
        what: A hotel where robots assist with check-in.
        why: Robots at the front desk.
        themes: [robots]
        map_query: Henn na Hotel, Tokyo
        source: article
      - id: teamlab-planets
        name: teamLab Planets
        what: Digital art that reacts to your movement.
        why: Art that responds to you.
        themes: [robots]
        location:
          lat: 35.6491
          lon: 139.7898
          source: article
        map_query: teamLab Planets, Tokyo
        source: article
"""

ANCHORS = {  # line -> text in CLUSTER the cases rely on
    10: "  - id: tokyo-yokohama",
    11: "    name: Tokyo–Yokohama",
    12: "    rank: 2",
    15: "    aliases: [Tokyo, Yokohama]",
    18: "      text: Ranked second in the GII 2025.",
    21: "      - id: henn-na-hotel",
    23: "        aliases: [Henna Hotel]",
    24: "        what: A hotel where robots assist with check-in.",
    28: "        source: article",
    30: "        name: teamLab Planets",
    35: "          lat: 35.6491",
}


def other_cluster(cluster_id: str = "seoul", rank: int = 5) -> str:
    """A second valid cluster, in its own file, with its own economy."""
    return f"""\
economies:
  - id: republic-of-korea
    name: Republic of Korea
clusters:
  - id: {cluster_id}
    name: Seoul
    rank: {rank}
    rank_source: wipo
    economies: [republic-of-korea]
    aliases: [서울]
    headline: A city that runs on tech
    summary:
      text: Ranked fifth.
      source: article
"""


@pytest.fixture
def kb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid knowledge folder ``kb`` in the working directory, so paths print as ``kb/...``."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (folder / "cluster.yaml").write_text(CLUSTER, encoding="utf-8")
    return folder


def validate(folder: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run ``travelbot validate FOLDER``; its exit code and its stdout lines."""
    code = main(["validate", str(folder)])
    out = capsys.readouterr().out
    return code, out.splitlines()


def problems(lines: list[str]) -> list[tuple[str, int, str]]:
    """Every stdout line parsed as ``FILE:LINE: message``, or ``FOLDER/: message`` with line 0
    (the test fails on any other line)."""
    parsed: list[tuple[str, int, str]] = []
    for text in lines:
        match = PROBLEM.match(text) or FOLDER_PROBLEM.match(text)
        assert match, f"not a FILE:LINE: message or FOLDER/: message line: {text!r}"
        line = int(match["line"]) if "line" in match.groupdict() else 0
        parsed.append((match["file"], line, match["message"]))
    return parsed


def replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_base_folder_is_valid_and_anchors_hold(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = CLUSTER.splitlines()
    for number, text in ANCHORS.items():
        assert lines[number - 1] == text
    code, out = validate(kb_dir, capsys)
    assert code == 0, out
    assert out == ["ok: 2 files, 1 clusters, 2 sights, 2 sources"]


# --- the shipped knowledge ---------------------------------------------------------------


def test_shipped_knowledge_loads() -> None:
    kb = load_knowledge([SHIPPED_KNOWLEDGE])
    assert len(kb.clusters) == 5
    assert kb.fingerprint


def test_shipped_knowledge_validates(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):  # the default path comes from the settings
        if name.startswith(("TRAVELBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    assert main(["validate"]) == 0
    default = capsys.readouterr().out
    assert default.startswith("ok: ")
    assert main(["validate", str(SHIPPED_KNOWLEDGE)]) == 0
    assert capsys.readouterr().out == default


# --- broken files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One broken thing: how to break the base folder, and the problem it must produce."""

    id: str
    breaks: Callable[[Path], None]
    file: str  # as printed, relative to the working directory
    line: int
    fragments: tuple[str, ...]
    also: tuple[tuple[str, int, str], ...] = field(default=())  # other problems expected


def _insert_after(anchor: str, new: str) -> Callable[[Path], None]:
    return lambda folder: replace(folder, "cluster.yaml", anchor + "\n", f"{anchor}\n{new}\n")


def _cluster_line(line: int, new: str) -> Callable[[Path], None]:
    return lambda folder: replace(folder, "cluster.yaml", ANCHORS[line] + "\n", new + "\n")


def _non_utf8(folder: Path) -> None:
    path = folder / "cluster.yaml"
    raw = path.read_bytes()
    old = ANCHORS[18].encode()
    path.write_bytes(raw.replace(old, old.replace(b"second", b"s\xe9cond")))


def _shared_alias_one_side(folder: Path) -> None:
    replace(folder, "cluster.yaml", ANCHORS[23], "        aliases: [Henna Hotel, Odaiba]")
    replace(folder, "cluster.yaml", ANCHORS[30], ANCHORS[30] + "\n        aliases: [Odaiba]")


CASES = [
    Case(
        "unclosed-bracket",
        _cluster_line(15, "    aliases: [Tokyo, Yokohama"),
        "kb/cluster.yaml",
        15,
        ("YAML syntax error", "never closed"),
    ),
    Case(
        "unclosed-quote",
        _cluster_line(11, '    name: "Tokyo–Yokohama'),
        "kb/cluster.yaml",
        11,
        ("YAML syntax error", "quoted string", "never closed"),
    ),
    Case(
        "tab-indentation",
        _cluster_line(12, "\trank: 2"),
        "kb/cluster.yaml",
        12,
        ("YAML syntax error", "tabs cannot indent YAML; use spaces"),
    ),
    Case(
        "unknown-key",
        _insert_after(ANCHORS[12], "    website: https://example.org"),
        "kb/cluster.yaml",
        13,
        ("unknown key 'website'",),
    ),
    Case(
        "misspelt-key",
        _cluster_line(12, "    rnak: 2"),
        "kb/cluster.yaml",
        12,
        ("unknown key 'rnak'", "did you mean 'rank'?"),
        also=(("kb/cluster.yaml", 10, "missing key 'rank'"),),
    ),
    Case(
        "python-tag",
        # the marker path is filled in by the test, to prove nothing ran
        _cluster_line(24, '        what: !!python/object/apply:os.system ["echo hi > MARKER"]'),
        "kb/cluster.yaml",
        24,
        ("python/object/apply:os.system", "not allowed"),
    ),
    Case(
        "empty-file",
        lambda folder: write(folder, "empty.yaml", ""),
        "kb/empty.yaml",
        1,
        ("file is empty",),
    ),
    Case(
        "comments-only-file",
        lambda folder: write(folder, "empty.yaml", "# nothing yet\n# still nothing\n"),
        "kb/empty.yaml",
        1,
        ("file is empty",),
    ),
    Case(
        "rank-as-word",
        _cluster_line(12, "    rank: two"),
        "kb/cluster.yaml",
        12,
        ("rank", "integer", "'two'"),
    ),
    Case(
        "rank-negative",
        _cluster_line(12, "    rank: -1"),
        "kb/cluster.yaml",
        12,
        ("rank", "greater than or equal to 1", "-1"),
    ),
    Case(
        "rank-duplicate",
        lambda folder: write(folder, "other.yaml", other_cluster(rank=2)),
        "kb/other.yaml",
        7,
        ("duplicate rank 2", "also at kb/cluster.yaml:12"),
    ),
    Case(
        "cluster-id-duplicate",
        lambda folder: write(folder, "other.yaml", other_cluster(cluster_id="tokyo-yokohama")),
        "kb/other.yaml",
        5,
        ("duplicate cluster id 'tokyo-yokohama'", "also at kb/cluster.yaml:10"),
    ),
    Case(
        "latitude-out-of-range",
        _cluster_line(35, "          lat: 123"),
        "kb/cluster.yaml",
        35,
        ("lat", "less than or equal to 90", "123"),
    ),
    Case(
        "top-level-list",
        lambda folder: write(folder, "list.yaml", "# a list, not sections\n- id: x\n- id: y\n"),
        "kb/list.yaml",
        2,
        ("top level must be a mapping",),
    ),
    Case(
        "top-level-scalar",
        lambda folder: write(folder, "scalar.yaml", "\n\njust some words\n"),
        "kb/scalar.yaml",
        3,
        ("top level must be a mapping",),
    ),
    Case(
        "duplicate-key",
        _insert_after(ANCHORS[24], "        what: Robots again."),
        "kb/cluster.yaml",
        25,
        ("duplicate key 'what'", "first on line 24"),
    ),
    Case(
        "source-unresolved",
        lambda folder: replace(
            folder,
            "cluster.yaml",
            "Henn na Hotel, Tokyo\n        source: article\n",
            "Henn na Hotel, Tokyo\n        source: articel\n",
        ),
        "kb/cluster.yaml",
        28,
        ("unknown source 'articel'",),
    ),
    Case(
        "rank-source-unresolved",
        lambda folder: replace(
            folder, "cluster.yaml", "rank_source: wipo", "rank_source: wipo-gii"
        ),
        "kb/cluster.yaml",
        13,
        ("unknown source 'wipo-gii'",),
    ),
    Case(
        "alias-shared-without-flag",
        _shared_alias_one_side,
        "kb/cluster.yaml",
        31,
        ("alias 'Odaiba' also names sight henn-na-hotel", "kb/cluster.yaml:23", "shared: true"),
    ),
    Case(
        "alias-equals-other-name",
        lambda folder: replace(folder, "cluster.yaml", ANCHORS[23], "        aliases: [TOKYO]"),
        "kb/cluster.yaml",
        23,
        ("alias 'TOKYO' also names cluster tokyo-yokohama",),
    ),
    Case(
        "non-utf8",
        _non_utf8,
        "kb/cluster.yaml",
        18,
        ("not valid UTF-8",),
    ),
    Case(
        "id-not-kebab-case",
        _cluster_line(21, "      - id: Henn_Na_Hotel"),
        "kb/cluster.yaml",
        21,
        ("id", "Henn_Na_Hotel"),
    ),
    Case(
        "missing-key",
        lambda folder: replace(folder, "cluster.yaml", "    headline: Practical innovation\n", ""),
        "kb/cluster.yaml",
        10,
        ("missing key 'headline'",),
    ),
    Case(
        "list-where-text-expected",
        _cluster_line(11, "    name: [Tokyo, Yokohama]"),
        "kb/cluster.yaml",
        11,
        ("name", "string"),
    ),
    Case(
        "unknown-theme",
        lambda folder: replace(
            folder,
            "cluster.yaml",
            "        themes: [robots]\n        map_query: Henn",
            "        themes: [robotz]\n        map_query: Henn",
        ),
        "kb/cluster.yaml",
        26,
        ("unknown theme 'robotz'",),
    ),
    Case(
        "merge-key",
        lambda folder: replace(
            folder,
            "sources.yaml",
            "    publisher: NextNews\n",
            "    publisher: NextNews\n    <<: {}\n",
        ),
        "kb/sources.yaml",
        6,
        ("merge keys",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_file_is_refused_at_its_line(
    case: Case, kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case.breaks(kb_dir)
    code, out = validate("kb", capsys)
    assert code == 1
    found = problems(out)
    expected = {(case.file, case.line), *((f, n) for f, n, _ in case.also)}
    assert {(f, n) for f, n, _ in found} == expected, out
    assert len(found) == len(expected), out
    message = next(m for f, n, m in found if (f, n) == (case.file, case.line))
    for fragment in case.fragments:
        assert fragment in message, out
    for file, line, fragment in case.also:
        assert any((f, n) == (file, line) and fragment in m for f, n, m in found), out
    assert found == sorted(found, key=lambda p: (p[0], p[1])), "problems must be sorted"


def test_enough_kinds_of_broken_file() -> None:
    assert len(CASES) >= 14
    assert len({c.id for c in CASES}) == len(CASES)


def test_python_tag_runs_nothing(
    kb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marker = tmp_path / "executed"
    calls: list[str] = []

    def system(command: str) -> int:
        calls.append(command)
        return 0

    monkeypatch.setattr("os.system", system)
    replace(
        kb_dir,
        "cluster.yaml",
        ANCHORS[24],
        f'        what: !!python/object/apply:os.system ["echo hi > {marker}"]',
    )
    replace(  # a tag on a scalar too
        kb_dir,
        "cluster.yaml",
        ANCHORS[18],
        f'      text: !!python/object/apply:os.system ["echo hi > {marker}"]',
    )
    code, out = validate("kb", capsys)
    assert code == 1
    assert [(f, n) for f, n, _ in problems(out)] == [
        ("kb/cluster.yaml", 18),
        ("kb/cluster.yaml", 24),
    ]
    assert calls == []
    assert not marker.exists()
    assert "hi" not in out


def test_shared_alias_accepted_when_both_places_declare_it(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(
        kb_dir,
        "cluster.yaml",
        ANCHORS[23],
        "        aliases: [Henna Hotel, {text: Odaiba, shared: true}]",
    )
    replace(
        kb_dir,
        "cluster.yaml",
        ANCHORS[30],
        ANCHORS[30] + "\n        aliases: [{text: odaiba, shared: true}]",
    )
    code, out = validate("kb", capsys)
    assert code == 0, out


def test_shared_alias_refused_when_only_one_place_declares_it(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(
        kb_dir,
        "cluster.yaml",
        ANCHORS[23],
        "        aliases: [Henna Hotel, {text: Odaiba, shared: true}]",
    )
    replace(kb_dir, "cluster.yaml", ANCHORS[30], ANCHORS[30] + "\n        aliases: [Odaiba]")
    code, out = validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = problems(out)
    assert (file, line) == ("kb/cluster.yaml", 31)
    assert "alias 'Odaiba' also names sight henn-na-hotel" in message


def test_file_over_size_limit_is_refused_before_parsing(
    kb_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    composed: list[str] = []
    real_compose = yaml.compose

    def spy(text: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(text[:20])
        return real_compose(text, *args, **kwargs)

    monkeypatch.setattr(yaml, "compose", spy)
    # broken YAML and a Python tag: parsing it would report those, not the size
    head = b'sources: [unclosed\nx: !!python/object/apply:os.system ["echo hi"]\n'
    big = kb_dir / "big.yaml"
    big.write_bytes(head + b"#" * (yamlfile.MAX_FILE_BYTES + 1 - len(head)))
    code, out = validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = problems(out)
    assert (file, line) == ("kb/big.yaml", 1)
    assert f"{yamlfile.MAX_FILE_BYTES + 1} bytes" in message
    assert f"over the {yamlfile.MAX_FILE_BYTES} limit" in message
    assert all(not text.startswith("sources: [unclosed") for text in composed)
    assert len(composed) == 2  # the two valid files were parsed


def test_file_at_size_limit_is_parsed(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    padding = yamlfile.MAX_FILE_BYTES - len(CLUSTER.encode())
    write(kb_dir, "cluster.yaml", CLUSTER + "#" * (padding - 1) + "\n")
    assert (kb_dir / "cluster.yaml").stat().st_size == yamlfile.MAX_FILE_BYTES
    code, out = validate("kb", capsys)
    assert code == 0, out


def test_several_problems_reported_at_once_and_sorted(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(kb_dir, "cluster.yaml", ANCHORS[35], "          lat: 123")
    replace(kb_dir, "cluster.yaml", ANCHORS[12], "    rank: -3")
    replace(
        kb_dir, "cluster.yaml", ANCHORS[23], "        aliases: [Henna Hotel]\n        colour: red"
    )
    write(kb_dir, "aaa.yaml", "# first in name order\nclusters: [a, b\n")
    write(kb_dir, "zzz.yaml", "")
    code, out = validate("kb", capsys)
    assert code == 1
    found = problems(out)
    assert found == sorted(found)
    assert [(f, n) for f, n, _ in found] == [
        ("kb/aaa.yaml", 2),
        ("kb/cluster.yaml", 12),
        ("kb/cluster.yaml", 24),
        ("kb/cluster.yaml", 36),
        ("kb/zzz.yaml", 1),
    ], out
    messages = [m for _, _, m in found]
    assert "never closed" in messages[0]
    assert "greater than or equal to 1" in messages[1]
    assert "unknown key 'colour'" in messages[2]
    assert "less than or equal to 90" in messages[3]
    assert "file is empty" in messages[4]


def test_cross_checks_run_beside_schema_problems(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(kb_dir, "other.yaml", other_cluster(rank=2).replace("source: article", "source: nope"))
    replace(
        kb_dir,
        "sources.yaml",
        "    title: The article\n",
        "    title: The article\n    colour: red\n",
    )
    code, out = validate("kb", capsys)
    assert code == 1
    found = problems(out)
    # sources.yaml is refused, so no reference to a source can be called unknown yet;
    # the duplicate rank between two valid files is reported in the same run
    assert [(f, n) for f, n, _ in found] == [("kb/other.yaml", 7), ("kb/sources.yaml", 5)], out
    assert "duplicate rank 2 (also at kb/cluster.yaml:12)" in found[0][2]
    assert "unknown key 'colour'" in found[1][2]

    replace(kb_dir, "sources.yaml", "    colour: red\n", "")
    code, out = validate("kb", capsys)
    assert code == 1
    found = problems(out)
    assert [(f, n) for f, n, _ in found] == [("kb/other.yaml", 7), ("kb/other.yaml", 14)], out
    assert "duplicate rank 2" in found[0][2]
    assert "unknown source 'nope'" in found[1][2]


def test_path_outside_working_directory_is_printed_as_given(
    kb_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    replace(kb_dir, "cluster.yaml", ANCHORS[12], "    rank: two")
    code, out = validate(kb_dir, capsys)
    assert code == 1
    assert [(f, n) for f, n, _ in problems(out)] == [(str(kb_dir / "cluster.yaml"), 12)]


def test_files_can_be_validated_one_by_one(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "kb/sources.yaml", "kb/cluster.yaml"]) == 0
    assert capsys.readouterr().out == "ok: 2 files, 1 clusters, 2 sights, 2 sources\n"


# --- a knowledge missing what every answer needs --------------------------------------------


def test_a_knowledge_without_clusters_is_refused(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb_dir / "cluster.yaml").unlink()
    code, out = validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = problems(out)
    assert (file, line) == ("kb/", 0)
    assert message.startswith("no clusters:"), message
    # a file given alone is the whole knowledge too
    code, out = validate("kb/sources.yaml", capsys)
    assert code == 1
    assert [(f, n) for f, n, _ in problems(out)] == [("kb/sources.yaml", 1)]


def test_a_knowledge_without_sources_is_refused(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb_dir / "sources.yaml").unlink()
    write(kb_dir, "cluster.yaml", "economies:\n  - id: japan\n    name: Japan\n")
    code, out = validate("kb", capsys)
    assert code == 1
    found = problems(out)
    assert [(f, n) for f, n, _ in found] == [("kb/", 0), ("kb/", 0)]
    assert sorted(m.split(":")[0] for _, _, m in found) == ["no clusters", "no sources"]


def test_an_unreadable_folder_is_refused(
    kb_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (kb_dir / "clusters").mkdir()
    (kb_dir / "cluster.yaml").rename(kb_dir / "clusters" / "tokyo.yaml")
    assert validate("kb", capsys)[0] == 0
    deny(monkeypatch, kb_dir / "clusters")
    code, out = validate("kb", capsys)
    assert code == 1
    # one problem: the clusters are missing because of it, not for a second reason
    assert problems(out) == [("kb/clusters/", 0, "cannot list this folder: Permission denied")]


# --- no traceback, ever ------------------------------------------------------------------


def test_missing_path_is_a_clean_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "no-such-folder"])
    captured = capsys.readouterr()
    assert code == 1
    [(file, line, message)] = problems(captured.out.splitlines())
    assert (file, line) == ("no-such-folder", 1)
    assert "cannot read file" in message
    assert "Traceback" not in captured.out + captured.err


def test_folder_without_yaml_is_a_clean_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not yaml\n", encoding="utf-8")
    code = main(["validate", "empty"])
    captured = capsys.readouterr()
    assert code == 1
    [(file, line, message)] = problems(captured.out.splitlines())
    assert (file, line) == ("empty", 1)
    assert "no .yaml files found" in message
    assert "Traceback" not in captured.out + captured.err


def test_unreadable_yaml_in_folder_is_a_clean_problem(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb_dir / "folder.yaml").mkdir()  # a directory named like a file
    code, out = validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = problems(out)
    assert (file, line) == ("kb/folder.yaml", 1)
    assert "cannot read file" in message


# --- what the shipped knowledge must say -------------------------------------------------


def find_sight(kb: KnowledgeBase, text: str) -> tuple[Cluster, Sight]:
    """The one sight whose name or alias is ``text``, or whose name contains it as words."""
    wanted = normalise(text)
    found: list[tuple[Cluster, Sight]] = []
    for cluster in kb.clusters:
        for sight in cluster.sights:
            names = [sight.name, *(a if isinstance(a, str) else a.text for a in sight.aliases)]
            folded = [normalise(n) for n in names]
            if wanted in folded or f" {wanted} " in f" {normalise(sight.name)} ":
                found.append((cluster, sight))
    assert len(found) == 1, f"{text!r} names {len(found)} sights"
    return found[0]


SIGHTS = [  # (how the issue names it, the cluster it belongs to)
    ("Symphony of Lights", "shenzhen-hong-kong-guangzhou"),
    ("Star Ferry", "shenzhen-hong-kong-guangzhou"),
    ("PMQ", "shenzhen-hong-kong-guangzhou"),
    ("Open Innovation Lab", "shenzhen-hong-kong-guangzhou"),
    ("OCT Loft", "shenzhen-hong-kong-guangzhou"),
    ("Design Society", "shenzhen-hong-kong-guangzhou"),
    ("drone shows", "shenzhen-hong-kong-guangzhou"),
    ("Henn Na Hotel", "tokyo-yokohama"),
    ("Yurikamome Line", "tokyo-yokohama"),
    ("teamLab Planets", "tokyo-yokohama"),
    ("Waymo rides", "san-jose-san-francisco"),
    ("Baidu Apollo robotaxis", "beijing"),
    ("smart-city infrastructure", "beijing"),
    ("high-tech transit", "beijing"),
    ("Cheonggyecheon Stream", "seoul"),
    ("Cheongyecheon", "seoul"),
    ("24/7 AI-powered convenience stores", "seoul"),
    ("interactive city hubs", "seoul"),
]


@pytest.mark.parametrize(("name", "cluster_id"), SIGHTS, ids=[s for s, _ in SIGHTS])
def test_every_sight_of_the_issue_is_there(kb: KnowledgeBase, name: str, cluster_id: str) -> None:
    cluster, sight = find_sight(kb, name)
    assert cluster.id == cluster_id
    assert sight.what and sight.why and sight.map_query
    assert sight.source in kb.source_by_id


def test_sight_aliases_name_the_same_sight(kb: KnowledgeBase) -> None:
    assert find_sight(kb, "Star Ferry")[1] is find_sight(kb, "Symphony of Lights")[1]
    assert find_sight(kb, "Cheongyecheon")[1] is find_sight(kb, "Cheonggyecheon")[1]


def the_stat(kb: KnowledgeBase, cluster_id: str, measure: str) -> Stat:
    [stat] = [s for s in kb.cluster_by_id[cluster_id].stats if s.measure == measure]
    return stat


def test_figures_of_the_issue(kb: KnowledgeBase) -> None:
    tokyo = the_stat(kb, "tokyo-yokohama", "pct-filings")
    assert (tokyo.value, tokyo.unit, tokyo.position) == (10.3, "%", 1)
    assert tokyo.article_says is not None and "over 10%" in tokyo.article_says

    vc = the_stat(kb, "san-jose-san-francisco", "vc-deals")
    assert (vc.value, vc.unit, vc.position) == (6.9, "%", 1)
    per_capita = the_stat(kb, "san-jose-san-francisco", "innovation-per-capita")
    assert per_capita.position == 1

    publications = the_stat(kb, "beijing", "scientific-publications")
    assert (publications.value, publications.unit, publications.position) == (4.0, "%", 1)

    seoul = the_stat(kb, "seoul", "pct-filings")
    assert (seoul.value, seoul.unit, seoul.position) == (5.4, "%", 3)

    drones = the_stat(kb, "shenzhen-hong-kong-guangzhou", "drone-record")
    assert drones.value == 12000


def test_clusters_and_ranks(kb: KnowledgeBase) -> None:
    assert [(c.id, c.rank) for c in kb.clusters] == [
        ("shenzhen-hong-kong-guangzhou", 1),
        ("tokyo-yokohama", 2),
        ("san-jose-san-francisco", 3),
        ("beijing", 4),
        ("seoul", 5),
    ]


def test_other_clusters_are_press_reported(kb: KnowledgeBase) -> None:
    others = [(c.rank, c.name, c.press_reported) for c in kb.other_clusters]
    assert [rank for rank, _, _ in others] == [6, 7, 8, 9, 10]
    assert all(press for _, _, press in others)
    names = [name for _, name, _ in others]
    for rank, city in [
        (6, "Shanghai"),
        (7, "New York"),
        (8, "London"),
        (9, "Boston"),
        (10, "Los Angeles"),
    ]:
        assert city in names[rank - 6]


def test_economy_ranking_top_ten(kb: KnowledgeBase) -> None:
    top = [(e.gii_rank, e.name, e.score) for e in kb.ranked_economies()[:10]]
    assert top == [
        (1, "Switzerland", 66.0),
        (2, "Sweden", 62.6),
        (3, "United States", 61.7),
        (4, "Republic of Korea", 60.0),
        (5, "Singapore", 59.9),
        (6, "United Kingdom", 59.1),
        (7, "Finland", 57.7),
        (8, "Netherlands", 57.0),
        (9, "Denmark", 56.9),
        (10, "China", 56.6),
    ]


def test_sources_exist_and_every_fact_points_at_one(kb: KnowledgeBase) -> None:
    sources = kb.source_by_id
    assert "article" in sources
    assert any(s.id.startswith("wipo") and "WIPO" in s.publisher for s in sources.values())
    referenced: list[str] = []
    for cluster in kb.clusters:
        referenced += [cluster.rank_source, cluster.summary.source]
        for group in (cluster.stats, cluster.everyday_tech, cluster.quotes, cluster.notes):
            referenced += [item.source for item in group]
        for sight in cluster.sights:
            referenced.append(sight.source)
            if sight.location is not None:
                referenced.append(sight.location.source)
    referenced += [c.source for c in kb.other_clusters]
    referenced += [e.source for e in kb.economies if e.source is not None]
    referenced += [g.source for g in kb.general]
    assert referenced
    assert sorted(set(referenced) - set(sources)) == []


PINNED = {  # facts-gii-2025.md: "Where the sights are"
    "Star Ferry": (22.2942, 114.1686),
    "PMQ": (22.2837, 114.1516),
    "OCT Loft": (22.542, 113.986),
    "Design Society": (22.483, 113.912),
    "Yurikamome Line": (35.6297, 139.7788),
    "teamLab Planets": (35.6491, 139.7898),
    "Cheonggyecheon Stream": (37.5689, 126.9779),
    "Baidu Apollo robotaxis": (39.8022, 116.4853),
}


def test_coordinates_only_where_the_facts_give_them(kb: KnowledgeBase) -> None:
    pinned = {find_sight(kb, name)[1].id: latlon for name, latlon in PINNED.items()}
    with_location = {s.id for c in kb.clusters for s in c.sights if s.location}
    assert with_location == set(pinned)
    for sight_id, (lat, lon) in pinned.items():
        location = kb.sight_by_id[sight_id][1].location
        assert location is not None
        assert math.isclose(location.lat, lat, abs_tol=1e-4), sight_id
        assert math.isclose(location.lon, lon, abs_tol=1e-4), sight_id
    for name in ("Open Innovation Lab", "Henn Na Hotel"):
        assert find_sight(kb, name)[1].location is None


# --- hostile or broken files: one FILE:LINE line each, never a traceback ------------------


def clean_validate(
    folder: Path | str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[tuple[str, int, str]]]:
    """``travelbot validate``: exit code and parsed problems; no traceback, one line each."""
    code = main(["validate", str(folder)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, problems(captured.out.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        "sources: " + "[" * 600 + "]" * 600 + "\n",
        "sources:\n" + "".join(f"{' ' * (i + 1)}- \n" for i in range(700)).rstrip() + " x\n",
        "sources:\n" + "".join(f"{' ' * (i + 1)}a:\n" for i in range(700)).rstrip() + " 1\n",
    ],
    ids=["flow", "block-lists", "block-mappings"],
)
def test_deep_nesting_is_refused_at_its_line(
    kb_dir: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    write(kb_dir, "deep.yaml", text)
    code, found = clean_validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = found
    assert file == "kb/deep.yaml"
    assert f"nested more than {yamlfile.MAX_DEPTH} levels deep" in message
    assert line == (1 if text.startswith("sources: [") else yamlfile.MAX_DEPTH + 1)
    assert sys.getrecursionlimit() > yamlfile.MAX_DEPTH * 4


def test_an_alias_bomb_is_refused_at_the_alias_that_explodes(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["# a billion laughs", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 7)}]" for i in range(1, 9)]
    write(kb_dir, "bomb.yaml", "\n".join(lines) + "\n")
    code, found = clean_validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = found
    # a5 expands to 137,257 values: the first *a5, on line 8, takes the file past the limit
    assert (file, line) == ("kb/bomb.yaml", 8), found
    assert f"alias *a5 makes the file expand to over {yamlfile.MAX_VALUES} values" in message


def test_an_alias_inside_its_own_value_is_refused(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(kb_dir, "loop.yaml", "# a list that contains itself\nsources: &s\n  - *s\n")
    code, found = clean_validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = found
    assert (file, line) == ("kb/loop.yaml", 3)
    assert "alias *s" in message and "inside the value" in message


def test_a_control_character_is_reported_at_its_line_in_one_line(
    kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(kb_dir, "cluster.yaml", ANCHORS[18], "      text: Ranked\x07 second in the GII 2025.")
    code, found = clean_validate("kb", capsys)
    assert code == 1
    [(file, line, message)] = found
    assert (file, line) == ("kb/cluster.yaml", 18)
    assert "U+0007" in message and "control character" in message


def test_symlink_loops_are_problems(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kb_dir / "one.yaml").symlink_to("two.yaml")
    (kb_dir / "two.yaml").symlink_to("one.yaml")
    (kb_dir / "sub").mkdir()
    (kb_dir / "sub" / "up").symlink_to("..")  # a folder inside itself
    code, found = clean_validate("kb", capsys)
    assert code == 1
    assert [(f, n) for f, n, _ in found] == [
        ("kb/one.yaml", 1),
        ("kb/sub/up/", 0),
        ("kb/two.yaml", 1),
    ], found
    assert "Too many levels of symbolic links" in found[0][2]
    assert "loop" in found[1][2]


def test_a_fifo_does_not_hang_the_loader(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = kb_dir / "pipe.yaml"
    os.mkfifo(fifo)
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(main(["validate", "kb"])))
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("validate waited for a writer on a FIFO")
    assert outcome == [1]
    [(file, line, message)] = problems(capsys.readouterr().out.splitlines())
    assert (file, line) == ("kb/pipe.yaml", 1)
    assert "not a regular file" in message


def test_an_unreadable_file_is_a_problem(
    kb_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = kb_dir.parent / "secret.yaml"
    secret.write_text(SOURCES, encoding="utf-8")
    (kb_dir / "linked.yaml").symlink_to(secret)
    deny(monkeypatch, kb_dir / "sources.yaml", secret)
    code, found = clean_validate("kb", capsys)
    assert code == 1
    assert [(f, n) for f, n, _ in found] == [("kb/linked.yaml", 1), ("kb/sources.yaml", 1)]
    assert found[0][2] == f"cannot read file: Permission denied (it is a link to {secret})"
    assert found[1][2] == "cannot read file: Permission denied"


def _as_an_ordinary_user() -> tuple[list[str], int | None]:
    """A command prefix and a user id under which ``chmod`` stops reading: root without the
    capabilities that let it read anything (util-linux ``setpriv``), or else ``nobody``."""
    if os.geteuid() != 0:
        return [], None
    setpriv = shutil.which("setpriv")
    if setpriv:
        drop = "-dac_override,-dac_read_search"
        return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}"], None
    return [], 65534


def test_a_folder_without_read_permission_is_refused_for_real(tmp_path: Path) -> None:
    """The same with the operating system's own refusal: ``travelbot validate`` in a process
    that ``chmod 000`` stops (as root: without CAP_DAC_OVERRIDE, or as ``nobody``)."""
    prefix, user = _as_an_ordinary_user()
    base = Path(tempfile.mkdtemp(prefix="travelbot-perm-"))  # reachable by ``nobody`` too
    try:
        kb = base / "kb"
        (kb / "clusters").mkdir(parents=True)
        (kb / "sources.yaml").write_text(SOURCES, encoding="utf-8")
        (kb / "clusters" / "tokyo.yaml").write_text(CLUSTER, encoding="utf-8")
        for path in (base, kb, kb / "sources.yaml", kb / "clusters" / "tokyo.yaml"):
            path.chmod(0o755)
        (kb / "clusters").chmod(0o000)
        repo = Path(__file__).resolve().parent.parent
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(repo), "HOME": str(base)}

        def validate_as_user() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*prefix, sys.executable, "-m", "bot", "validate", "kb"],
                cwd=base,
                env=env,
                user=user,
                capture_output=True,
                text=True,
                timeout=60,
            )

        try:
            done = validate_as_user()
        except PermissionError as exc:  # pragma: no cover - neither setpriv nor setuid here
            pytest.skip(f"cannot run a process without root's read-anything rights: {exc}")
        assert "Traceback" not in done.stderr, done.stderr
        assert (done.returncode, done.stdout) == (
            1,
            "kb/clusters/: cannot list this folder: Permission denied\n",
        ), done.stderr
        (kb / "clusters" / "tokyo.yaml").chmod(0o000)  # a file it may not read, in a folder
        (kb / "clusters").chmod(0o755)  # it may list
        done = validate_as_user()
        assert (done.returncode, done.stdout) == (
            1,
            "kb/clusters/tokyo.yaml:1: cannot read file: Permission denied\n",
        ), done.stderr
        (kb / "clusters" / "tokyo.yaml").chmod(0o644)
        done = validate_as_user()
        assert (done.returncode, done.stdout.split(",")[0]) == (0, "ok: 2 files"), done.stderr
    finally:
        (base / "kb" / "clusters").chmod(0o755)
        shutil.rmtree(base)


def test_run_with_a_hostile_knowledge_is_refused_in_lines_not_a_traceback(
    kb_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("TRAVELBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAFakeTokenForTravelbotTests_012345")
    monkeypatch.setenv("TRAVELBOT_DATA_DIR", str(kb_dir.parent / "data"))
    write(kb_dir, "deep.yaml", "sources: " + "[" * 600 + "]" * 600 + "\n")
    (kb_dir / "loop.yaml").symlink_to("loop.yaml")
    for argv in (["run", "--check", "--knowledge", "kb"], ["run", "--knowledge", "kb"]):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        lines = captured.err.splitlines()
        assert lines[-1] == "travelbot: the knowledge is invalid (see above)"
        assert [(f, n) for f, n, _ in problems(lines[:-1])] == [
            ("kb/deep.yaml", 1),
            ("kb/loop.yaml", 1),
        ]
