"""YAML for plans and contracts, in bounded time and memory, with errors that quote nothing.

``yaml.safe_load`` builds no objects, but it still accepts an alias "bomb" (a few lines whose
aliases expand to billions of nodes: everything that walks the result then hangs), an alias
inside itself (a recursive list: RecursionError later) and duplicate keys (the last silently
wins). Its error messages also quote the offending line, which echoes a file that was never
meant to be read as YAML. ``load`` refuses all of these with a ``YamlError`` naming the line
and column only.
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

#: Nodes a document may expand to (aliases counted at every place they are used).
MAX_NODES = 100_000


class YamlError(ValueError):
    """A YAML text that cannot be used; the message names line and column, quotes nothing."""


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._open_anchors: set[str] = set()

    def compose_node(self, parent, index):
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if isinstance(event, AliasEvent):
            if anchor in self._open_anchors:
                raise _error(f"alias *{anchor} is used inside its own anchor &{anchor} "
                             "(a structure containing itself)", event.start_mark)
            return super().compose_node(parent, index)
        if anchor:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.discard(anchor)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # unhashable key: the base class reports it
                    continue
                if first is not key_node.start_mark:
                    raise _error(f"key {key!r} appears twice (first at line {first.line + 1}); "
                                 "each key once", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _error(message: str, mark) -> YamlError:
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return YamlError(where + message)


def _expanded_size(node, memo: dict[int, int], limit: int) -> int:
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = limit + 1  # a cycle counts as too large (also caught while composing)
    if isinstance(node, ScalarNode):
        size = 1
    elif isinstance(node, SequenceNode):
        size = 1 + sum(_expanded_size(child, memo, limit) for child in node.value)
    else:
        size = 1 + sum(_expanded_size(k, memo, limit) + _expanded_size(v, memo, limit)
                       for k, v in node.value)
    memo[id(node)] = min(size, limit + 1)
    return memo[id(node)]


def load(text: str, *, max_nodes: int = MAX_NODES):
    """Parse one YAML document like ``yaml.safe_load``, within ``max_nodes`` expanded nodes,
    refusing self-referencing aliases and duplicate keys. Raises ``YamlError``."""
    loader = _BoundedLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise _error(exc.problem or "not valid YAML", exc.problem_mark) from None
        except yaml.YAMLError as exc:
            raise YamlError(f"not valid YAML ({type(exc).__name__})") from None
        if node is None:
            return None
        if _expanded_size(node, {}, max_nodes) > max_nodes:
            raise _error(f"the document expands to more than {max_nodes:,} values through its "
                         "aliases (&anchor / *alias); write the values out", node.start_mark)
        try:
            return loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            raise _error(exc.problem or "not valid YAML", exc.problem_mark) from None
    finally:
        loader.dispose()


__all__ = ["MAX_NODES", "YamlError", "load"]
