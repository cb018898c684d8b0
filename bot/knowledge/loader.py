"""Loading the knowledge folder: parse every file, validate its schema, merge, cross-check.

Every problem in every file is collected and reported at once as ``FILE:LINE: message``,
so an admin fixes a batch of mistakes in one pass instead of one per run.
"""

from __future__ import annotations

import hashlib
import os
import stat as file_stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz, process, utils

from bot.knowledge import schema
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.schema import Alias, KnowledgeFile, SharedAlias
from bot.knowledge.yamlfile import ParsedFile, Path_, Problem, read_yaml
from bot.text import normalise

SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")


class KnowledgeError(Exception):
    """The knowledge is invalid; ``problems`` says where, one line each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def _all_field_names() -> list[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)


_FIELD_NAMES = _all_field_names()


@dataclass(frozen=True)
class Found:
    """The YAML files of a knowledge, and what could not be looked at while finding them."""

    files: tuple[Path, ...]
    problems: tuple[Problem, ...] = ()


def _folder(path: Path) -> str:
    return _display(path).rstrip("/\\") + "/"


def scan(paths: Iterable[Path]) -> Found:
    """The YAML files named, or found (recursively, in name order) in the folders named.

    Hidden files and folders (``.name``: editors' backups and locks) are skipped. Linked
    folders are followed. A folder that cannot be listed, or a link that leads back to a folder
    already seen, is a problem: the files behind it would be missing without a word."""
    files: list[Path] = []
    problems: list[Problem] = []

    def walk(folder: Path, seen: set[tuple[int, int]]) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            problems.append(Problem(_folder(folder), 0, f"cannot list this folder: {reason}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if path.suffix in SUFFIXES:
                files.append(path)  # whatever it is: reading it says what is wrong
                continue
            try:
                if not entry.is_dir():
                    continue
                info = os.stat(path)
            except OSError:
                continue  # a dangling link or a link loop without a YAML name: not ours
            key = (info.st_dev, info.st_ino)
            if key in seen:
                problems.append(
                    Problem(
                        _folder(path),
                        0,
                        "a link to a folder already read (a loop, or the same files twice); "
                        "remove it",
                    )
                )
                continue
            walk(path, seen | {key})

    for path in paths:
        try:
            info = os.stat(path)
            is_dir = file_stat.S_ISDIR(info.st_mode)
        except OSError:
            is_dir = False
        if is_dir and path.suffix not in SUFFIXES:
            walk(path, {(info.st_dev, info.st_ino)})
        else:
            files.append(path)
    return Found(tuple(sorted(files)), tuple(problems))


def find_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files of ``scan``, without its problems."""
    return list(scan(paths).files)


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given.
    Links are not resolved: a linked file is shown where the admin put it."""
    try:
        absolute = os.path.abspath(path)
        return str(Path(absolute).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of a pydantic ``loc`` that is a path in the data.

    Union members appear in ``loc`` as type names (``str``, ``SharedAlias``); walking the
    data tells them apart from real keys.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier():
            path.append(part)  # a missing or unknown key: keep it for the message
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _describe(error: Any, data: Any) -> tuple[Path_, str]:
    """Turn a pydantic error into (path in the data, admin-readable message)."""
    loc: tuple[Any, ...] = tuple(error["loc"])
    data_path = _data_path(data, loc)
    where = ".".join(str(p) for p in data_path)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        guess = process.extractOne(
            key, _FIELD_NAMES, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=70
        )
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return data_path, f"unknown key '{key}'{hint}"
    if kind == "missing":
        return data_path[:-1], f"{where.rpartition('.')[0] or 'file'}: missing key '{loc[-1]}'"
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return data_path, f"{where}: {error['msg']}{shown}"


def _validate(parsed: ParsedFile) -> KnowledgeFile | None:
    """Schema-check a parsed file; a line that already has a parse problem gets no second one."""
    try:
        model = KnowledgeFile.model_validate(parsed.data)
    except ValidationError as exc:
        lines_with_problems = {p.line for p in parsed.problems}
        for error in exc.errors():
            path, message = _describe(error, parsed.data)
            line = parsed.line_of(path)
            if line in lines_with_problems:
                continue  # one problem a line: a union reports once per member
            lines_with_problems.add(line)
            parsed.problems.append(Problem(parsed.name, line, message))
        return None
    return None if parsed.problems else model


@dataclass(frozen=True)
class _Located:
    file: ParsedFile
    path: Path_

    def problem(self, message: str, *more: str | int) -> Problem:
        return Problem(self.file.name, self.file.line_of((*self.path, *more)), message)


def _collect(
    files: list[tuple[ParsedFile, KnowledgeFile]], section: str
) -> list[tuple[Any, _Located]]:
    items: list[tuple[Any, _Located]] = []
    for parsed, model in files:
        for i, item in enumerate(getattr(model, section)):
            items.append((item, _Located(parsed, (section, i))))
    return items


def _alias_text(alias: Alias) -> tuple[str, bool]:
    if isinstance(alias, SharedAlias):
        return alias.text, True
    return alias, False


class _Checker:
    """Checks that need every file at once: unique ids and ranks, references, aliases."""

    def __init__(self, files: list[tuple[ParsedFile, KnowledgeFile]], complete: bool) -> None:
        self.files = files
        # with a file refused, what it defines is unknown: a reference to it is not an error
        self.complete = complete
        self.problems: list[Problem] = []
        self.aliases: dict[str, tuple[str, bool, _Located, str]] = {}

    def unique(self, section: str, attr: str, what: str) -> set[Any]:
        seen: dict[Any, _Located] = {}
        for item, where in _collect(self.files, section):
            value = getattr(item, attr)
            if value in seen:
                first = seen[value]
                self.problems.append(
                    where.problem(
                        f"duplicate {what} {value!r} (also at {first.file.name}:"
                        f"{first.file.line_of((*first.path, attr))})",
                        attr,
                    )
                )
            else:
                seen[value] = where
        return set(seen)

    def ref(
        self, where: _Located, known: set[str], value: str, what: str, *path: str | int
    ) -> None:
        if value not in known and self.complete:
            self.problems.append(where.problem(f"unknown {what} '{value}'", *path))

    def alias(self, owner: str, text: str, shared: bool, where: _Located, *path: str | int) -> None:
        key = normalise(text)
        if not key:
            self.problems.append(where.problem(f"alias {text!r} has no letters or digits", *path))
            return
        previous = self.aliases.get(key)
        if previous is None:
            # remember the alias's own line, for the message about a later clash
            self.aliases[key] = (owner, shared, _Located(where.file, (*where.path, *path)), text)
            return
        other_owner, other_shared, other_where, _ = previous
        if other_owner != owner and not (shared and other_shared):
            line = other_where.file.line_of(other_where.path)
            self.problems.append(
                where.problem(
                    f"alias {text!r} also names {other_owner} ({other_where.file.name}:{line}); "
                    "write it as {text: ..., shared: true} in both places if that is intended",
                    *path,
                )
            )

    def aliases_of(self, owner: str, name: str, aliases: list[Alias], where: _Located) -> None:
        self.alias(owner, name, False, where, "name")
        for i, alias in enumerate(aliases):
            text, shared = _alias_text(alias)
            self.alias(owner, text, shared, where, "aliases", i)

    def run(self) -> list[Problem]:
        sources = self.unique("sources", "id", "source id")
        themes = self.unique("themes", "id", "theme id")
        measures = self.unique("measures", "id", "measure id")
        economies = self.unique("economies", "id", "economy id")
        self.unique("clusters", "id", "cluster id")
        general = self.unique("general", "id", "general fact id")
        self.unique("intents", "id", "intent")
        self.unique("smalltalk", "id", "smalltalk kind")
        self.unique("unsupported", "id", "unsupported topic id")

        ranks: dict[int, _Located] = {}
        ranked = [(c, w, "clusters") for c, w in _collect(self.files, "clusters")] + [
            (c, w, "other_clusters") for c, w in _collect(self.files, "other_clusters")
        ]
        for item, where, _ in ranked:
            if item.rank in ranks:
                first = ranks[item.rank]
                self.problems.append(
                    where.problem(
                        f"duplicate rank {item.rank} (also at {first.file.name}:"
                        f"{first.file.line_of((*first.path, 'rank'))})",
                        "rank",
                    )
                )
            else:
                ranks[item.rank] = where
            for i, economy in enumerate(item.economies):
                self.ref(where, economies, economy, "economy", "economies", i)
            if isinstance(item, schema.OtherCluster):
                self.ref(where, sources, item.source, "source", "source")
                self.aliases_of(f"cluster rank {item.rank}", item.name, item.aliases, where)

        sight_ids: dict[str, _Located] = {}
        for cluster, where in _collect(self.files, "clusters"):
            self.check_cluster(cluster, where, sources, themes, measures, sight_ids)
        for economy, where in _collect(self.files, "economies"):
            if economy.source is not None:
                self.ref(where, sources, economy.source, "source", "source")
            self.aliases_of(f"economy {economy.id}", economy.name, economy.aliases, where)
        for fact, where in _collect(self.files, "general"):
            self.ref(where, sources, fact.source, "source", "source")
        others = self.unique("other_clusters", "id", "cluster id")
        regions = self.unique("regions", "id", "region id")
        for region, where in _collect(self.files, "regions"):
            for i, economy in enumerate(region.economies):
                self.ref(where, economies, economy, "economy", "economies", i)
            self.aliases_of(f"region {region.id}", region.name, region.aliases, where)
        named = (
            {c.id for c, _ in _collect(self.files, "clusters")}
            | set(sight_ids)
            | economies
            | others
            | regions
        )
        self.check_lexicons(
            {
                "names": named,
                "themes": themes,
                "measures": measures,
                "general": general,
                "unsupported": {u.id for u, _ in _collect(self.files, "unsupported")},
            }
        )
        return self.problems

    def check_lexicons(self, known: dict[str, set[str]]) -> None:
        """Each language once; every key of a lexicon's id-keyed sections names something."""
        seen: dict[str, _Located] = {}
        for parsed, model in self.files:
            lexicon = model.lexicon
            if lexicon is None:
                continue
            where = _Located(parsed, ("lexicon",))
            if lexicon.lang in seen:
                first = seen[lexicon.lang]
                self.problems.append(
                    where.problem(
                        f"a second lexicon for {lexicon.lang!r} (also at {first.file.name})",
                        "lang",
                    )
                )
            seen[lexicon.lang] = where
            for section, ids in known.items():
                for key in getattr(lexicon, section):
                    self.ref(where, ids, key, section.rstrip("s") + " id", section, key)

    def check_cluster(
        self,
        cluster: schema.Cluster,
        where: _Located,
        sources: set[str],
        themes: set[str],
        measures: set[str],
        sight_ids: dict[str, _Located],
    ) -> None:
        self.ref(where, sources, cluster.rank_source, "source", "rank_source")
        self.ref(where, sources, cluster.summary.source, "source", "summary", "source")
        self.aliases_of(f"cluster {cluster.id}", cluster.name, cluster.aliases, where)
        stat_ids: set[str] = set()
        for i, stat in enumerate(cluster.stats):
            self.ref(where, sources, stat.source, "source", "stats", i, "source")
            self.ref(where, measures, stat.measure, "measure", "stats", i, "measure")
            if stat.id in stat_ids:
                self.problems.append(where.problem(f"duplicate stat id {stat.id!r}", "stats", i))
            stat_ids.add(stat.id)
        for section in ("everyday_tech", "quotes", "notes"):
            for i, item in enumerate(getattr(cluster, section)):
                self.ref(where, sources, item.source, "source", section, i, "source")
        for i, tech in enumerate(cluster.everyday_tech):
            for j, alias in enumerate(tech.names):
                text, shared = _alias_text(alias)
                self.alias(
                    f"everyday tech of {cluster.id}",
                    text,
                    shared,
                    where,
                    "everyday_tech",
                    i,
                    "names",
                    j,
                )
            for j, theme in enumerate(tech.themes):
                self.ref(where, themes, theme, "theme", "everyday_tech", i, "themes", j)
        for i, sight in enumerate(cluster.sights):
            at = _Located(where.file, (*where.path, "sights", i))
            if sight.id in sight_ids:
                first = sight_ids[sight.id]
                self.problems.append(
                    at.problem(
                        f"duplicate sight id {sight.id!r} (also at {first.file.name}:"
                        f"{first.file.line_of(first.path)})",
                        "id",
                    )
                )
            sight_ids[sight.id] = at
            self.ref(at, sources, sight.source, "source", "source")
            if sight.location is not None:
                self.ref(at, sources, sight.location.source, "source", "location", "source")
            for j, theme in enumerate(sight.themes):
                self.ref(at, themes, theme, "theme", "themes", j)
            self.aliases_of(f"sight {sight.id}", sight.name, sight.aliases, at)


def _merge(models: list[KnowledgeFile], section: str) -> tuple[Any, ...]:
    return tuple(item for model in models for item in getattr(model, section))


NEEDED: dict[str, str] = {
    "clusters": "no clusters: every answer needs them; add a file with a clusters: section "
    "(the shipped knowledge keeps one per cluster in clusters/)",
    "sources": "no sources: every fact must point at one; add a file with a sources: section",
}
"""What a knowledge cannot do without, and what the admin is told when it is missing."""


def _missing(paths: Sequence[Path], models: list[KnowledgeFile]) -> list[Problem]:
    """A problem for each section of ``NEEDED`` that no file fills, reported at the folder
    (or the first file) the knowledge was loaded from."""
    empty = [s for s in NEEDED if not any(getattr(m, s) for m in models)]
    if not empty:
        return []
    first = paths[0]
    where = (_folder(first), 0) if first.is_dir() else (_display(first), 1)
    return [Problem(*where, NEEDED[section]) for section in empty]


def load_knowledge(paths: Sequence[Path]) -> KnowledgeBase:
    """Load, validate and merge the knowledge; raise ``KnowledgeError`` listing every problem."""
    found = scan(paths)
    files = list(found.files)
    problems: list[Problem] = list(found.problems)
    if not files and not problems:
        names = ", ".join(str(p) for p in paths)
        raise KnowledgeError([Problem(names or ".", 1, "no .yaml files found")])
    parsed_ok: list[tuple[ParsedFile, KnowledgeFile]] = []
    digest = hashlib.sha256()
    for path in files:
        parsed = read_yaml(path, _display(path))
        model = _validate(parsed) if parsed.data is not None else None
        problems.extend(parsed.problems)
        if model is not None:
            parsed_ok.append((parsed, model))
        # exactly the bytes that were parsed: a save after the read is a change still to come
        digest.update(b"%d:" % len(parsed.raw))
        digest.update(parsed.raw)
    complete = len(parsed_ok) == len(files) and not found.problems
    problems.extend(_Checker(parsed_ok, complete=complete).run())
    models = [m for _, m in parsed_ok]
    if complete:  # with a file or folder refused, what is missing may be in it
        problems.extend(_missing(paths, models))
    if problems:
        raise KnowledgeError(problems)
    languages = [m.language for m in models if m.language is not None]
    language = schema.Language(
        stopwords=[w for lang in languages for w in lang.stopwords],
        economy_words=[w for lang in languages for w in lang.economy_words],
        cluster_words=[w for lang in languages for w in lang.cluster_words],
        followup_words=[w for lang in languages for w in lang.followup_words],
        number_words={k: v for lang in languages for k, v in lang.number_words.items()},
    )
    return KnowledgeBase(
        sources=_merge(models, "sources"),
        clusters=tuple(sorted(_merge(models, "clusters"), key=lambda c: c.rank)),
        other_clusters=tuple(sorted(_merge(models, "other_clusters"), key=lambda c: c.rank)),
        economies=_merge(models, "economies"),
        regions=_merge(models, "regions"),
        themes=_merge(models, "themes"),
        measures=_merge(models, "measures"),
        general=_merge(models, "general"),
        intents=_merge(models, "intents"),
        smalltalk=_merge(models, "smalltalk"),
        unsupported=_merge(models, "unsupported"),
        language=language,
        lexicons=tuple(m.lexicon for m in models if m.lexicon is not None),
        files=tuple(str(f) for f in files),
        fingerprint=digest.hexdigest()[:12],
    )
