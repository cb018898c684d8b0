"""Shared fixtures: the shipped knowledge (loaded once per session), a fake Bot API server,
and the real bot polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import SHIPPED_KNOWLEDGE
from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.telegram_app import TravelApp
from tests.fake_bot_api import FakeBotApi
from tests.telegram_support import check_rules, running


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge([SHIPPED_KNOWLEDGE])


@pytest.fixture
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def app(fake: FakeBotApi, engine: Engine) -> AsyncIterator[TravelApp]:
    """The bot polling the fake; afterwards the fake must have seen no rule broken."""
    async with running(fake, engine) as application:
        yield application
    check_rules(fake)
