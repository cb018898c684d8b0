"""Reloads: a good change is swapped in, a broken one refused while the old one keeps serving."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import SHIPPED_KNOWLEDGE
from bot.reloading import KnowledgeHolder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, target)
    return target


def _tokyo(folder: Path) -> Path:
    return next(folder.glob("clusters/*tokyo*.yaml"))


def test_edit_then_reload_shows_the_change(folder: Path) -> None:
    holder = KnowledgeHolder(folder)
    before = holder.engine
    holder.engine.ask("tell me about tokyo", "c")
    path = _tokyo(folder)
    path.write_text(path.read_text().replace("name: teamLab Planets", "name: teamLab Planets XL"))
    assert holder.changed_on_disk()
    result = holder.reload()
    assert result.ok and result.changed
    assert holder.engine is not before
    assert "teamLab Planets XL" in holder.engine.ask("what should I see in tokyo", "x").plain
    # an answer computed on the old engine still works; chat context survives the swap
    assert "teamLab Planets XL" not in before.ask("what should I see in tokyo", "y").plain
    assert holder.engine.ask("what should I see there?", "c").clusters == ("tokyo-yokohama",)


def test_broken_file_is_refused_and_old_knowledge_kept(folder: Path) -> None:
    holder = KnowledgeHolder(folder)
    kept = holder.engine
    path = _tokyo(folder)
    path.write_text(path.read_text().replace("    rank: 2\n", "    rank: two\n"))
    result = holder.reload()
    assert not result.ok
    assert any(line.startswith(f"{path}:") and "rank" in line for line in result.lines())
    assert holder.engine is kept
    assert holder.engine.ask("which city is number 2?").clusters == ("tokyo-yokohama",)
    assert holder.failed_reloads == 1


def test_watch_sees_only_real_changes(folder: Path) -> None:
    holder = KnowledgeHolder(folder)
    assert holder.reload_if_changed() is None
    (folder / "extra.yaml").write_text("sources: []\n")
    result = holder.reload_if_changed()
    assert result is not None and result.ok
    assert holder.reload_if_changed() is None


def test_a_save_during_a_load_is_served_at_the_next_look(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fingerprint is that of the bytes parsed: a save landing while the files are being
    loaded is not hidden under the new fingerprint, so the next look swaps it in."""
    holder = KnowledgeHolder(folder)
    path = _tokyo(folder)
    original = path.read_text()
    saved_during_load = original.replace("name: teamLab Planets", "name: teamLab Planets XL")
    path.write_text(original.replace("name: teamLab Planets", "name: teamLab Planets Odaiba"))
    compose = yaml.compose

    def save_while_parsing(text: str, *args: Any, **kwargs: Any) -> Any:
        if "teamLab Planets Odaiba" in text and "XL" not in path.read_text():
            path.write_text(saved_during_load)  # the admin saves again, just after the read
            later = time.time() + 5
            os.utime(path, (later, later))
        return compose(text, *args, **kwargs)

    monkeypatch.setattr(yaml, "compose", save_while_parsing)
    first = holder.reload()
    assert first.ok and first.changed
    assert "teamLab Planets Odaiba" in holder.engine.ask("what should I see in tokyo", "a").plain

    second = holder.reload_if_changed()  # the save after the read moved the file on disk
    assert second is not None and second.ok
    assert second.changed, "the newer save was taken for the knowledge already served"
    assert "teamLab Planets XL" in holder.engine.ask("what should I see in tokyo", "b").plain
    assert holder.reload_if_changed() is None


def test_an_unexpected_loader_error_is_refused_like_a_problem(
    folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    holder = KnowledgeHolder(folder)
    kept = holder.engine

    def broken(paths: Any) -> Any:
        raise TypeError("a bug in the loader")

    monkeypatch.setattr("bot.reloading.load_knowledge", broken)
    result = holder.reload()
    assert not result.ok
    assert result.lines() == [
        f"{folder}/: the knowledge could not be loaded (TypeError: a bug in the loader); "
        "the log has the details"
    ]
    assert holder.engine is kept and holder.failed_reloads == 1
    assert any(r.exc_info for r in caplog.records)  # the traceback is in the log
