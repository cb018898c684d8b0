"""The knowledge base: YAML schema, loading with FILE:LINE problems, the merged model."""

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import KnowledgeError, find_files, load_knowledge
from bot.knowledge.yamlfile import Problem

__all__ = ["KnowledgeBase", "KnowledgeError", "Problem", "find_files", "load_knowledge"]
