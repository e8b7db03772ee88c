"""One catalogue YAML file read into plain Python data, fast, with lines found when needed.

PyYAML's composer calls its Python resolver for every scalar and keeps a node (with two marks)
for each one, which costs tens of seconds and over a gigabyte on a 100,000-facility catalogue.
Here libyaml's C parser gives the events, and one loop without recursion (a 5,000-deep file is
no problem) builds the dicts and lists. Scalars are resolved as PyYAML's safe loader would
(YAML 1.1: `yes` is true, `010` is 8), except that dates stay text: pydantic reads them, so an
impossible date (2026-02-30) is a field error with its line, not a traceback.

Lines are not kept while reading. `line_map(text)` walks the file once more and gives the line of
every key and list item, for the files that have a problem to report.

Refused, with its line: a second document, anchors and aliases (& and *; nested ones expand a
few lines into gigabytes) and tags (`!!python/...`) stop the file (`YamlRefused`); keys that are
not plain text and duplicate keys are reported as `Document.issues` and the rest is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import ScalarNode

# libyaml's parser when PyYAML was built with it (it is on every platform wheel).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCT = yaml.SafeLoader("")  # only its construct_yaml_* helpers are used
_STR_TAG = "tag:yaml.org,2002:str"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlIssue:
    """Something in the file the catalogue refuses (the file is still read where it can be)."""

    path: Path_
    line: int  # 1-based
    message: str


class YamlSyntaxError(Exception):
    """The file is not YAML; `line` is where the parser gave up (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class YamlRefused(YamlSyntaxError):
    """The file is YAML, but uses what the catalogue refuses (anchors, tags, a second document)."""


@dataclass
class Document:
    """The file's data (None when empty) and what was refused in it."""

    data: Any = None
    issues: list[YamlIssue] = field(default_factory=list)
    top_lines: dict[str, int] = field(default_factory=dict)  # the line of each top-level key


# What parsing one file gives: its document, or why it could not be read.
Parsed = Document | YamlSyntaxError


def parse_text(text: str) -> Parsed:
    """`parse(text)`, with a file that is not YAML given back rather than raised."""
    try:
        return parse(text)
    except YamlSyntaxError as exc:
        return exc


def parse_path(path: str) -> Parsed:
    """Read and parse one UTF-8 file (in a worker process: the caller checked the encoding)."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:  # changed or gone since the caller read it
        return YamlSyntaxError(1, f"the file cannot be read now ({exc})")
    return parse_text(text)


def _syntax_error(exc: yaml.YAMLError) -> YamlSyntaxError:
    """libyaml's error as a problem at its line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return YamlSyntaxError(line, str(exc.problem or exc.context or "cannot be parsed"))
    return YamlSyntaxError(1, str(exc))


def _events(text: str) -> Iterator[Any]:
    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            yield event
            if isinstance(event, yaml.StreamEndEvent):
                return
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None
    finally:
        loader.dispose()


# The plain numbers a catalogue is full of (31.107227, 121.054934, 4): read without PyYAML's
# resolver. A leading zero is octal in YAML 1.1, so such integers go the long way.
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _plain(value: str) -> Any:
    """A plain (unquoted) scalar as PyYAML's safe loader resolves it, dates kept as text."""
    if _DECIMAL.fullmatch(value):
        return float(value) if "." in value else int(value)
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if not regexp.match(value):
            continue
        kind = tag.rsplit(":", 1)[-1]
        if kind == "null":
            return None
        if kind == "bool":
            return _CONSTRUCT.bool_values[value.lower()]
        if kind == "int":
            return _CONSTRUCT.construct_yaml_int(ScalarNode(tag, value))
        if kind == "float":
            return _CONSTRUCT.construct_yaml_float(ScalarNode(tag, value))
        return value  # timestamp (pydantic parses it), merge `<<`, value `=`: text
    return value


def _scalar(event: Any) -> tuple[Any, str | None]:
    """The value of a scalar event, or None and why it is refused."""
    tag = event.tag
    if tag is not None and tag != "!" and not (event.implicit[0] or event.implicit[1]):
        if tag == _STR_TAG:
            return event.value, None
        return None, f"YAML tags such as {tag} are not allowed in the catalogue"
    if event.style:  # quoted or block: always text
        return event.value, None
    return _plain(event.value), None


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1 if event.start_mark is not None else 1


def parse(text: str) -> Document:
    """Read `text` (one YAML document); raises `YamlSyntaxError` when it is not YAML.

    The hot loop: one pass over every event of a file that may hold 10,000 records, so it checks
    the event's class by identity and works out a line only when something is reported.
    """
    doc = Document()
    issues = doc.issues
    # Each frame: [container, path, pending key (mappings), key is awaited (mappings)].
    stack: list[list[Any]] = []
    documents = 0
    root: Any = None
    scalar_event, map_start, seq_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    map_end, seq_end, stream_end = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.StreamEndEvent
    implicit = _IMPLICIT
    # One object per distinct text: ten thousand records repeat the same source, hours and kind,
    # and libyaml makes a new string for each (at 100,000 facilities: a hundred megabytes).
    same: dict[str, str] = {}
    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            cls = event.__class__
            if cls is scalar_event:
                if event.anchor is not None:
                    raise YamlRefused(_line(event), _NO_ANCHORS)
                value = event.value
                value = same.setdefault(value, value)
                if event.tag is not None or (not event.style and value[:1] in implicit):
                    value, refused = _scalar(event)
                    if refused:
                        raise YamlRefused(_line(event), refused)
            elif cls is map_start or cls is seq_start:
                if event.anchor is not None:
                    raise YamlRefused(_line(event), _NO_ANCHORS)
                if event.tag is not None and not event.implicit:
                    message = f"YAML tags such as {event.tag} are not allowed in the catalogue"
                    raise YamlRefused(_line(event), message)
                value = {} if cls is map_start else []
            elif cls is map_end or cls is seq_end:
                stack.pop()
                continue
            elif cls is stream_end:
                break
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlRefused(_line(event), "one document per file (remove the second ---)")
                continue
            elif cls is yaml.AliasEvent:
                raise YamlRefused(_line(event), _NO_ANCHORS)
            else:
                continue  # stream and document starts and ends
            # Attach the value (a scalar, or a container about to be filled) to where it belongs.
            path: Path_ = ()
            if not stack:
                root = value
            else:
                top = stack[-1]
                container: Any = top[0]
                if container.__class__ is list:
                    path = (*top[1], len(container)) if cls is not scalar_event else ()
                    container.append(value)
                elif top[3]:  # this is a key
                    if cls is not scalar_event:
                        issues.append(YamlIssue(top[1], _line(event), "a key must be plain text"))
                        top[2] = _REFUSED
                        path = (*top[1], "?")
                    elif value in container:
                        issues.append(YamlIssue((*top[1], value), _line(event), "duplicate key"))
                        top[2] = _REFUSED
                    else:
                        top[2] = value
                        if len(stack) == 1:
                            doc.top_lines[str(value)] = _line(event)
                    top[3] = False
                    if cls is scalar_event:
                        continue
                else:  # a value
                    key = top[2]
                    if key is not _REFUSED:
                        container[key] = value
                    top[3] = True
                    path = (*top[1], key if isinstance(key, str | int) else "?")
            if cls is not scalar_event:
                stack.append([value, path, None, True])
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None
    finally:
        loader.dispose()
    doc.data = root
    return doc


_NO_ANCHORS = "anchors and aliases (& and *) are not allowed in the catalogue"


class _Refused:
    """Stands for a value the catalogue refuses (an alias, a complex key)."""

    def __repr__(self) -> str:
        return "<refused>"


_REFUSED: Any = _Refused()


def _child_path(stack: list[list[Any]]) -> Path_:
    """The path of the container about to be opened inside the top of `stack`."""
    if not stack:
        return ()
    top = stack[-1]
    if isinstance(top[0], list):
        return (*top[1], len(top[0]))
    key = top[2]
    return (*top[1], key if isinstance(key, str | int) else str(key))


def line_map(text: str) -> dict[Path_, int]:
    """The 1-based line of every key and list item in `text` (the first of a duplicated key)."""
    lines: dict[Path_, int] = {(): 1}
    # Each frame: [path, is a list, next index, pending key, key is awaited].
    stack: list[list[Any]] = []
    try:
        for event in _events(text):
            _line_event(event, stack, lines)
    except YamlSyntaxError:
        pass  # the lines up to the error are known; the error itself is reported with its own line
    return lines


def _line_event(event: Any, stack: list[list[Any]], lines: dict[Path_, int]) -> None:
    """Record the line of one event's key or list item (`line_map`'s step)."""
    if isinstance(event, yaml.StreamStartEvent | yaml.DocumentStartEvent | yaml.DocumentEndEvent):
        return
    if isinstance(event, yaml.StreamEndEvent):
        return
    if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
        stack.pop()
        return
    line = _line(event)
    opens = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
    path: Path_ = ()
    if stack:
        top = stack[-1]
        if top[1]:  # a list item
            path = (*top[0], top[2])
            top[2] += 1
            lines.setdefault(path, line)
        elif top[4]:  # a key
            key = (
                _plain(event.value)
                if isinstance(event, yaml.ScalarEvent) and not event.style
                else (event.value if isinstance(event, yaml.ScalarEvent) else None)
            )
            top[3] = key
            top[4] = False
            if isinstance(key, str | int):
                lines.setdefault((*top[0], key), line)
            if opens:
                stack.append([(*top[0], "?"), isinstance(event, yaml.SequenceStartEvent), 0, None, True])
            return
        else:  # a value
            key = top[3]
            path = (*top[0], key if isinstance(key, str | int) else "?")
            top[4] = True
    else:
        lines.setdefault((), line)
    if opens:
        stack.append([path, isinstance(event, yaml.SequenceStartEvent), 0, None, True])
