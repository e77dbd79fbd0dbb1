"""Read an item file's YAML one item at a time, keeping lines but never the whole node tree.

A 50 MB item file holds some 400,000 scalars. Composing the whole document first (as
``yaml.compose`` does) keeps a node and two marks for each of them, several times the file's
size, until the last item is read. Here the parser's events are walked instead: the root
mapping's own keys (``subdomain``, anything unknown) are composed as usual, but the entries
of its ``items`` list are composed, checked for repeated keys, mapped to their lines and
constructed one at a time, and each entry's nodes are dropped before the next is read. What
comes out is what the node-tree reading gave: the same data (PyYAML's safe constructor
builds it), the same lines, the same repeated-key problems and the same syntax errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        """The pure-Python reader, scanner and parser under one name."""

        def __init__(self, stream: Any) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)

        def dispose(self) -> None:
            """Nothing to release (libyaml's parser has a C buffer)."""


LIBYAML = _Parser.__module__ == "yaml._yaml"
ITEMS = "items"
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")


@dataclass
class Entry:
    """One entry of the ``items`` list: its line, constructed data and field lines."""

    line: int
    data: object
    lines: dict[str, int]


@dataclass
class StreamedFile:
    """An item file read entry by entry.

    ``root`` is the root node with the ``items`` list left empty (its keys keep their lines);
    ``data`` is the root constructed from it; ``entries`` the streamed ``items`` entries, or
    None when the root had no ``items`` list to stream (then ``root`` and ``data`` are whole).
    ``duplicates`` are (line, name, first line) of every key given twice in one mapping.
    """

    root: Node
    data: Any
    entries: list[Entry] | None
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)


class _Loader(_Parser, Composer, SafeConstructor, Resolver):
    """The parser's events, PyYAML's composer and safe constructor, one node at a time."""

    def __init__(self, stream: Any) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def node(self, parent: Node | None, index: Any) -> Node:
        """Compose the next node whole (PyYAML's composer, over this parser's events)."""
        node = Composer.compose_node(self, parent, index)
        assert node is not None  # an event always starts a node here
        return node


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def duplicate_keys(root: Node) -> list[tuple[int, str, int]]:
    """(line, name, first line) of each key repeated in a mapping, anywhere under ``root``."""
    found: list[tuple[int, str, int]] = []
    stack = [root]
    seen_nodes: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue  # an alias: already checked
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value != "<<":
                    name = str(key_node.value)
                    if name in first:
                        found.append((_line(key_node), name, first[name]))
                    else:
                        first[name] = _line(key_node)
                stack.append(value_node)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return found


def field_lines(item_node: Node) -> dict[str, int]:
    """Map an item's fields (``stem``, ``options.B``, ``references.0``) to their lines."""
    lines: dict[str, int] = {}
    if not isinstance(item_node, MappingNode):
        return lines
    for key_node, value_node in item_node.value:
        if not isinstance(key_node, ScalarNode):
            continue
        name = str(key_node.value)
        lines.setdefault(name, _line(key_node))
        if isinstance(value_node, MappingNode):
            for sub_key, _ in value_node.value:
                if isinstance(sub_key, ScalarNode):
                    lines.setdefault(f"{name}.{sub_key.value}", _line(sub_key))
        elif isinstance(value_node, SequenceNode):
            for index, entry in enumerate(value_node.value):
                lines.setdefault(f"{name}.{index}", _line(entry))
    return lines


def _errors_in_order(*errors: yaml.MarkedYAMLError | None) -> yaml.MarkedYAMLError | None:
    """The first error in the file (what constructing the whole document met first)."""
    found = [e for e in errors if e is not None]
    if not found:
        return None

    def position(error: yaml.MarkedYAMLError) -> tuple[int, int]:
        mark = error.problem_mark or error.context_mark
        return (mark.line, mark.column) if mark is not None else (0, 0)

    return min(found, key=position)


def _stream_entries(
    loader: _Loader,
    sequence: SequenceNode,
    entries: list[Entry],
    duplicates: list[tuple[int, str, int]],
) -> yaml.MarkedYAMLError | None:
    """Read the ``items`` list entry by entry; return the first constructor error, if any.

    Constructor errors (a tag the safe loader refuses) are kept, not raised, so that a
    syntax error further on is still the one reported, as when the whole file was composed.
    """
    first_error: yaml.MarkedYAMLError | None = None
    index = 0
    while not loader.check_event(SequenceEndEvent):
        node = loader.node(sequence, index)
        index += 1
        duplicates.extend(duplicate_keys(node))
        data: object = None
        if first_error is None:
            try:
                data = loader.construct_document(node)
            except yaml.constructor.ConstructorError as error:
                first_error = error
        entries.append(Entry(_line(node), data, field_lines(node)))
    end: Any = loader.get_event()
    sequence.end_mark = end.end_mark
    return first_error


def _root_mapping(loader: _Loader) -> StreamedFile:
    """Read a root mapping key by key, streaming the entries of an untagged ``items`` list."""
    start: Any = loader.get_event()
    root = MappingNode(
        start.tag if start.tag not in (None, "!") else loader.DEFAULT_MAPPING_TAG,
        [],
        start.start_mark,
        None,
        flow_style=start.flow_style,
    )
    entries: list[Entry] | None = None
    duplicates: list[tuple[int, str, int]] = []
    entry_error: yaml.MarkedYAMLError | None = None
    while not loader.check_event(MappingEndEvent):
        key = loader.node(root, None)
        value_event: Any = loader.peek_event()
        streamable = (
            isinstance(key, ScalarNode)
            and key.value == ITEMS
            and isinstance(value_event, SequenceStartEvent)
            and value_event.tag in _SEQ_TAGS
            and value_event.anchor is None
        )
        if not streamable:
            value = loader.node(root, key)
            root.value.append((key, value))
            continue
        loader.descend_resolver(root, key)
        event: Any = loader.get_event()
        sequence = SequenceNode(
            loader.DEFAULT_SEQUENCE_TAG, [], event.start_mark, None, flow_style=event.flow_style
        )
        root.value.append((key, sequence))
        entries = []  # a repeated 'items' key: the last one wins, as in PyYAML
        error = _stream_entries(loader, sequence, entries, duplicates)
        entry_error = entry_error or error
        loader.ascend_resolver()
    end_event: Any = loader.get_event()
    root.end_mark = end_event.end_mark
    duplicates.extend(duplicate_keys(root))
    root_error: yaml.MarkedYAMLError | None = None
    data: Any = None
    try:
        data = loader.construct_document(root)
    except yaml.constructor.ConstructorError as error:
        root_error = error
    first = _errors_in_order(entry_error, root_error)
    if first is not None:
        raise first
    return StreamedFile(root, data, entries, duplicates)


def read_stream(stream: IO[bytes] | str) -> StreamedFile | None:
    """Read one YAML document from ``stream``; None for an empty file.

    Raises what PyYAML raises (MarkedYAMLError with marks, ReaderError for a bad character),
    including "expected a single document" for a second document.
    """
    loader = _Loader(stream)
    try:
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # document start
        event: Any = loader.peek_event()
        if isinstance(event, MappingStartEvent) and event.tag in _MAP_TAGS and event.anchor is None:
            loader.descend_resolver(None, None)
            read = _root_mapping(loader)
            loader.ascend_resolver()
        else:  # a scalar, a list or a tagged root: small or refused, composed whole
            node = loader.node(None, None)
            read = StreamedFile(node, loader.construct_document(node), None, duplicate_keys(node))
        loader.get_event()  # document end
        loader.anchors = {}
        if not loader.check_event(StreamEndEvent):
            another: Any = loader.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                read.root.start_mark,
                "but found another document",
                another.start_mark,
            )
        return read
    finally:
        loader.dispose()
