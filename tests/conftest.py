"""Shared fixtures: the shipped knowledge is loaded once per test session."""

from __future__ import annotations

import pytest

from bot.config import SHIPPED_KNOWLEDGE
from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge([SHIPPED_KNOWLEDGE])


@pytest.fixture
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)
