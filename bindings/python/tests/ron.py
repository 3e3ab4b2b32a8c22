"""A reader of the subset of RON (Rusty Object Notation) the spec cases are written in:
structs ``Name(field: value, ...)``, enum variants ``Name`` / ``Name(value, ...)``,
``Some(x)`` / ``None``, lists, strings (``"..."`` with escapes, raw ``r#"..."#``), numbers,
booleans and ``//`` comments.

Structs read as :class:`Struct` (a dict of fields with the struct's name), variants as
:class:`Variant` (a name and a tuple of values); ``Some(x)`` reads as ``x``, ``None`` as
``None``. Anything else is a :class:`RonError` naming the line and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class RonError(ValueError):
    """The text is not in the RON subset read here."""


@dataclass(frozen=True)
class Variant:
    """An enum variant: ``Relation(Superset)`` is ``Variant("Relation", (Variant("Superset", ()),))``."""

    name: str
    values: tuple


class Struct(dict):
    """A named struct's fields."""

    def __init__(self, name: str, fields: dict):
        super().__init__(fields)
        self.name = name


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9]+)?([eE][+-]?[0-9]+)?)")


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> RonError:
        line = self.text.count("\n", 0, self.pos) + 1
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return RonError(f"{line}:{column}: {what}")

    def skip(self) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c.isspace():
                self.pos += 1
            elif self.text.startswith("//", self.pos):
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end + 1
            elif self.text.startswith("/*", self.pos):
                end = self.text.find("*/", self.pos)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def expect(self, c: str) -> None:
        if self.peek() != c:
            raise self.fail(f"expected '{c}'")
        self.pos += 1

    def value(self) -> Any:
        c = self.peek()
        if c == "":
            raise self.fail("expected a value, found the end")
        if c == '"':
            return self.string()
        if c == "r" and re.match(r'r#*"', self.text[self.pos :]):
            return self.raw_string()
        if c == "[":
            return self.seq("[", "]")
        if c == "(":
            if self.struct_follows():
                return Struct("", self.fields())
            return tuple(self.seq("(", ")"))
        m = _NUMBER.match(self.text, self.pos)
        if m and (c.isdigit() or c == "-"):
            self.pos = m.end()
            t = m.group(0).replace("_", "")
            if t.startswith(("0x", "-0x")):
                return int(t, 16)
            return float(t) if any(x in t for x in ".eE") else int(t)
        m = _IDENT.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a value")
        self.pos = m.end()
        name = m.group(0)
        if name in ("true", "false"):
            return name == "true"
        if name == "None":
            return None
        if self.peek() != "(":
            return Variant(name, ())
        if name == "Some":
            self.expect("(")
            v = self.value()
            self.peek()
            if self.peek() == ",":
                self.pos += 1
            self.expect(")")
            return v
        if self.struct_follows():
            return Struct(name, self.fields())
        return Variant(name, tuple(self.seq("(", ")")))

    def struct_follows(self) -> bool:
        """Whether the parenthesis ahead opens struct fields (`(ident: ...`)."""
        save = self.pos
        self.expect("(")
        self.skip()
        m = _IDENT.match(self.text, self.pos)
        self.pos = save
        if not m:
            return False
        rest = self.text[m.end() :].lstrip()
        return rest.startswith(":") and not rest.startswith("::")

    def fields(self) -> dict:
        self.expect("(")
        out: dict = {}
        while self.peek() != ")":
            m = _IDENT.match(self.text, self.pos)
            if not m:
                raise self.fail("expected a field name")
            self.pos = m.end()
            self.expect(":")
            out[m.group(0)] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != ")":
                raise self.fail("expected ',' or ')'")
        self.pos += 1
        return out

    def seq(self, open_: str, close: str) -> list:
        self.expect(open_)
        out = []
        while self.peek() != close:
            out.append(self.value())
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != close:
                raise self.fail(f"expected ',' or '{close}'")
        self.pos += 1
        return out

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                self.pos += 2
            elif c == '"':
                self.pos += 1
                try:
                    return json.loads(self.text[start : self.pos])
                except json.JSONDecodeError as e:
                    raise self.fail(f"bad string: {e}") from None
            else:
                self.pos += 1
        raise self.fail("unterminated string")

    def raw_string(self) -> str:
        m = re.match(r'r(#*)"', self.text[self.pos :])
        assert m is not None
        hashes = m.group(1)
        body = self.pos + m.end()
        end = self.text.find('"' + hashes, body)
        if end < 0:
            raise self.fail("unterminated raw string")
        self.pos = end + 1 + len(hashes)
        return self.text[body:end]


def loads(text: str) -> Any:
    """The value a RON text holds."""
    r = _Reader(text)
    v = r.value()
    if r.peek() != "":
        raise r.fail("expected the end")
    return v
