"""Every regular expression of pipelines/ (and of the crawl's page readers) that sees page text
runs in linear time.

Each pattern is fed adversarial 100 KB inputs built from its own shape: long runs of every
character it names or quantifies (alone, then followed by a character that spoils the match),
and a near-match of the pattern (a string it matches, cut short) repeated. A pattern that
backtracks quadratically takes minutes on one of them; a linear one takes milliseconds.
Every input is first tried at a fifth of that length, and the slowest few again at full
length: the input a backtracking pattern is slow on is already its slowest when shorter, and
the suite is spared timing some 30,000 full-length scans.
Each pattern runs in a worker process, so a runaway one fails its own case instead of
hanging the suite.
"""

from __future__ import annotations

import importlib
import multiprocessing
import pkgutil
import re
import time
from functools import cache
from typing import NamedTuple

import pytest

import pipelines

try:  # Python 3.11+
    from re import _constants as sre  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as sre  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

SIZE = 100_000
SCREEN_SIZE = 10_000  # every input at this length first; the SLOWEST ones again at SIZE
SLOWEST = 3
LIMIT_S = 1.0
# Characters to try against each class of a pattern: page text, markup, digits, spaces.
PROBES = " \t\n\r\u00a0\u3000a0_-.|<>/=\"'()（）:：、年报一\ufffd\ue000鍖"
SPOILERS = ("", "x", "\nx", "\x00")
# Zero-argument functions (cached) that build a pattern at run time.
BUILT = ("uncommon_hanzi", "traditional_only", "_common")


# Crawl-side modules that read whole list and home pages (pagers, CMS family signs).
PAGE_READING_CRAWL_MODULES = ("govcrawl.pagers", "govcrawl.families")


class Named(NamedTuple):
    name: str


def patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern a pipelines module holds: module globals, patterns in global
    dicts and tuples, and the ones built by its pattern-making functions."""
    found: dict[str, re.Pattern] = {}
    names = [f"pipelines.{m.name}" for m in pkgutil.iter_modules(pipelines.__path__)]
    for full_name in [*names, *PAGE_READING_CRAWL_MODULES]:
        module_info = Named(full_name.rpartition(".")[2])
        if module_info.name in ("store", "views", "coverage"):  # SQL and rows, never page text
            continue
        module = importlib.import_module(full_name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module_info.name}.{name}"] = value
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, re.Pattern):
                        found[f"{module_info.name}.{name}[{key}]"] = item
            elif name in BUILT and callable(value):
                found[f"{module_info.name}.{name}()"] = value()
        if hasattr(module, "legacy_prose_patterns") and module_info.name == "schema":
            for n, (key, pattern) in enumerate(module.legacy_prose_patterns()):
                found[f"schema.legacy_prose[{n}:{key}]"] = pattern
    return found


# -- inputs built from a pattern's shape -------------------------------------------------------
def class_matches(items: list, char: str) -> bool:
    code, negate, hit = ord(char), False, False
    for op, av in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            hit |= code == av
        elif op is sre.RANGE:
            hit |= av[0] <= code <= av[1]
        elif op is sre.CATEGORY:
            hit |= bool(re.match(CATEGORIES.get(av, "(?!)"), char))
    return hit != negate


CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def class_chars(items: list) -> list[str]:
    """The probes a class matches, plus its own literal characters."""
    chars = [c for c in PROBES if class_matches(items, c)]
    chars += [chr(av) for op, av in items if op is sre.LITERAL][:5]
    chars += [chr(av[0]) for op, av in items if op is sre.RANGE][:3]
    return chars


def walk(tree, groups: dict[int, str], chars: set[str]) -> str:
    """A string the (sub)pattern matches, roughly; collects the characters it names."""
    out = ""
    for op, av in tree:
        if op is sre.LITERAL:
            out += chr(av)
            chars.add(chr(av))
        elif op is sre.NOT_LITERAL:
            out += "a" if av != ord("a") else "b"
        elif op is sre.ANY:
            out += "a"
        elif op is sre.IN:
            options = class_chars(av)
            chars.update(options)
            out += options[0] if options else "a"
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = av
            out += walk(sub, groups, chars) * max(low, 1)
        elif op is sre.SUBPATTERN:
            group, _add, _del, sub = av
            text = walk(sub, groups, chars)
            if group:
                groups[group] = text
            out += text
        elif op is sre.BRANCH:
            texts = [walk(alt, groups, chars) for alt in av[1]]
            out += texts[0]
        elif op is sre.GROUPREF:
            out += groups.get(av, "")
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            walk(av[1], {}, chars)
        elif op is getattr(sre, "ATOMIC_GROUP", None):
            out += walk(av, groups, chars)
    return out


def adversarial_inputs(pattern: re.Pattern) -> list[tuple[str, str]]:
    """Inputs as (unit, ending): the unit repeated to the length wanted, then the ending."""
    source = pattern.pattern.decode("latin-1") if isinstance(pattern.pattern, bytes) else pattern.pattern
    chars: set[str] = set()
    sample = walk(sre_parse.parse(source, pattern.flags & ~re.UNICODE & ~re.ASCII), {}, chars)
    chars = set(sorted(chars)[:40]) | {"x", "\n"}
    inputs = [(c, spoiler) for c in sorted(chars) for spoiler in SPOILERS]
    for cut in range(1, min(len(sample), 24) + 1):  # near-matches: the match cut short, repeated
        piece = sample[:cut]
        inputs.append((piece, ""))
        inputs.append((piece + " ", ""))
    return list(dict.fromkeys(inputs))  # each once: a short sample repeats itself


def at_length(recipe: tuple[str, str], size: int) -> str:
    unit, ending = recipe
    return unit * (size // len(unit)) + ending


def scan_time(pattern: re.Pattern, text: str) -> float:
    subject = text.encode("utf-8") if isinstance(pattern.pattern, bytes) else text
    start = time.perf_counter()
    for _ in pattern.finditer(subject):
        pass
    return time.perf_counter() - start


def slowest_input(pattern: re.Pattern) -> tuple[float, str]:
    screened = []
    for recipe in adversarial_inputs(pattern):
        took = scan_time(pattern, at_length(recipe, SCREEN_SIZE))
        screened.append((took, recipe))
        if took > LIMIT_S:  # over the limit already when short
            return took, repr(at_length(recipe, SCREEN_SIZE)[:40]) + f"... ({SCREEN_SIZE} chars)"
    worst, which = 0.0, ""
    for _, recipe in sorted(screened, key=lambda timed: timed[0], reverse=True)[:SLOWEST]:
        text = at_length(recipe, SIZE)
        took = scan_time(pattern, text)
        if took > worst:
            worst, which = took, repr(text[:40]) + f"... ({len(text)} chars)"
    return worst, which


@cache
def pool() -> multiprocessing.pool.Pool:
    return multiprocessing.get_context("fork").Pool(1)


ALL = patterns()


def distinct(found: dict[str, re.Pattern]) -> dict[str, tuple[re.Pattern, list[str]]]:
    """One case per pattern: a pattern of the same source and flags held under several names
    (YEAR, HANZI, WHITESPACE in several modules) compiles to the same program, timed once;
    its case is named by the first name and lists the others."""
    by_program: dict[tuple, list[str]] = {}
    for name in sorted(found):
        by_program.setdefault((found[name].pattern, found[name].flags), []).append(name)
    return {names[0]: (found[names[0]], names) for names in by_program.values()}


DISTINCT = distinct(ALL)


@pytest.fixture(scope="module", autouse=True)
def worker():
    yield
    pool().terminate()
    pool.cache_clear()


@pytest.mark.parametrize("name", sorted(DISTINCT))
def test_pattern_is_linear_on_adversarial_input(name):
    pattern, names = DISTINCT[name]
    result = pool().apply_async(slowest_input, (pattern,))
    try:
        took, which = result.get(timeout=60 * LIMIT_S)
    except multiprocessing.TimeoutError:
        pool().terminate()
        pool.cache_clear()
        pytest.fail(f"{', '.join(names)} ({pattern.pattern!r}) ran over {60 * LIMIT_S:.0f} s on its inputs")
    assert took < LIMIT_S, f"{', '.join(names)} ({pattern.pattern!r}) took {took:.2f} s on {which}"


def test_every_pipelines_module_with_patterns_is_searched():
    # the inline patterns of these modules were moved to module globals so that they are tested
    names = {name.split(".")[0] for name in ALL}
    assert {"text", "metadata", "degarble", "mojibake", "cells", "encoding", "browser_signs",
            "hanzi", "schema", "sections", "validate", "pagers", "families"} <= names  # fmt: skip
    assert len(ALL) >= 40
    assert {name for _, names in DISTINCT.values() for name in names} == set(ALL)  # every name has its case
