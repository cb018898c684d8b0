"""The core never imports ``telegram``: only the Telegram layer may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import bot

PACKAGE = Path(bot.__file__).resolve().parent
ROOT = PACKAGE.parent


def is_telegram_layer(path: Path) -> bool:
    relative = path.relative_to(PACKAGE)
    return path.name in ("telegram_app.py", "polling.py") or relative.parts[0] == "handlers"


CORE = sorted(p for p in PACKAGE.rglob("*.py") if not is_telegram_layer(p))


def telegram_imports(source: str, filename: str) -> list[str]:
    """Every ``import telegram...`` / ``from telegram... import`` in a module, with its line."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name == "telegram" or name.startswith("telegram."):
                found.append(f"{filename}:{node.lineno}: imports {name}")
    return found


def test_core_modules_are_found() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in CORE}
    assert {"engine.py", "cli.py", "text.py", "knowledge/loader.py"} <= names


@pytest.mark.parametrize("path", CORE, ids=[p.relative_to(ROOT).as_posix() for p in CORE])
def test_core_module_does_not_import_telegram(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert telegram_imports(source, path.relative_to(ROOT).as_posix()) == []


def test_the_check_sees_every_form_of_import() -> None:
    source = (
        "import telegram\n"
        "import os, telegram.ext as ext\n"
        "from telegram import Update\n"
        "from telegram.constants import ParseMode\n"
        "def f():\n"
        "    import telegram.error\n"
        "from . import telegram_app\n"  # relative: the package's own module, not the library
        "import telegramish\n"
    )
    assert [line.split(": ", 1)[0] for line in telegram_imports(source, "x.py")] == [
        "x.py:1",
        "x.py:2",
        "x.py:3",
        "x.py:4",
        "x.py:6",
    ]


def _loaded_telegram_modules(imports: str) -> list[str]:
    code = (
        f"import sys\nimport {imports}\n"
        "print('\\n'.join(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_engine_and_cli_do_not_load_telegram() -> None:
    assert _loaded_telegram_modules("bot.engine, bot.cli") == []


def test_no_core_module_loads_telegram() -> None:
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in CORE
        if p.name != "__main__.py"  # running it would run the command
    ]
    assert _loaded_telegram_modules(", ".join(modules)) == []


def test_the_subprocess_check_can_see_telegram() -> None:
    # python-telegram-bot is installed: the check above is not vacuous
    assert "telegram" in _loaded_telegram_modules("telegram")
