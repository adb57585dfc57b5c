"""A tolerant reader for the JSON / Python-literal answers that models write.

Model output is untrusted text: nothing here evaluates it. `read_literal` scans the first
list or object that starts with a given bracket and returns what it could read plus whether
the literal was complete and well formed. It never raises on any input: truncated output keeps
its complete items, a missing comma is skipped over, strings may use ' or " with backslash
escapes, bare words (`[BERT, ELMo]`) are read as strings and full-width ：and ，(YAYI-UIE)
act as : and ,. Nesting deeper than MAX_DEPTH is cut off (and reported as incomplete).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
CLOSERS = {"[": "]", "{": "}"}
# JSON's \uXXXX and Python repr's \xXX and \UXXXXXXXX.
HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
HEX = "0123456789abcdefABCDEF"
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/"}
COLONS = ":："
COMMAS = ",，"
QUOTES = "'\""


@dataclass(frozen=True)
class Literal:
    value: Any  # list, dict or str; None when nothing was found
    complete: bool  # the literal was closed and needed no repair


class _Scanner:
    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.i = start
        self.clean = True  # no repair was needed so far

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip_space(self) -> None:
        while not self.at_end() and self.text[self.i].isspace():
            self.i += 1

    def value(self, depth: int) -> tuple[Any, bool]:
        """(value, ok); ok is False when the value was cut off and must not be kept."""
        self.skip_space()
        if self.at_end():
            return None, False
        char = self.text[self.i]
        if char in CLOSERS:
            if depth >= MAX_DEPTH:
                self.clean = False
                self.i = len(self.text)
                return None, False
            return self.container(char, depth + 1)
        if char in QUOTES:
            return self.string(char)
        return self.bare()

    def container(self, opener: str, depth: int) -> tuple[Any, bool]:
        closer = CLOSERS[opener]
        is_dict = opener == "{"
        items: Any = {} if is_dict else []
        self.i += 1
        while True:
            self.skip_space()
            if self.at_end():
                self.clean = False
                return items, True  # truncated: keep the complete items
            char = self.text[self.i]
            if char == closer:
                self.i += 1
                return items, True
            if char in "]}":  # the wrong closer: treat it as ours
                self.clean = False
                self.i += 1
                return items, True
            if char in COMMAS:
                self.i += 1
                continue
            if is_dict:
                key, ok = self.value(depth)
                self.skip_space()
                if not ok or self.at_end() or self.text[self.i] not in COLONS:
                    self.clean = False
                    if not ok or self.at_end():
                        return items, True
                    continue  # a key without a value: skip it
                self.i += 1
                value, ok = self.value(depth)
                if not ok:
                    return items, True
                if isinstance(key, str):
                    items[key] = value
                else:
                    self.clean = False
            else:
                value, ok = self.value(depth)
                if not ok:
                    return items, True
                items.append(value)
            self.skip_space()
            if not self.at_end() and self.text[self.i] not in COMMAS + closer + "]}":
                self.clean = False  # a missing comma

    def string(self, quote: str) -> tuple[str | None, bool]:
        out = []
        self.i += 1
        while not self.at_end():
            char = self.text[self.i]
            if char == quote:
                self.i += 1
                return "".join(out), True
            if char == "\\" and self.i + 1 < len(self.text):
                code = self.text[self.i + 1]
                width = HEX_ESCAPES.get(code, 0)
                digits = self.text[self.i + 2 : self.i + 2 + width]
                if width and len(digits) == width and all(c in HEX for c in digits):
                    if int(digits, 16) <= sys.maxunicode:
                        out.append(chr(int(digits, 16)))
                    self.i += 2 + width
                    continue
                out.append(ESCAPES.get(code, code))
                self.i += 2
                continue
            out.append(char)
            self.i += 1
        self.clean = False
        return None, False  # an unterminated string is cut off, never half-kept

    def bare(self) -> tuple[str | None, bool]:
        start = self.i
        while not self.at_end() and self.text[self.i] not in COMMAS + COLONS + "[]{}\n":
            self.i += 1
        word = self.text[start : self.i].strip()
        if self.at_end():
            self.clean = False
            return None, False  # may be cut off
        if not word:
            self.clean = False
            self.i += 1  # an unexpected character: step over it
            return None, True
        return (None if word in ("null", "None") else word), True


def read_literal(text: str, opener: str) -> Literal:
    """The first `opener`-bracketed literal in `text` (`opener` is '[' or '{')."""
    start = text.find(opener)
    if start < 0:
        return Literal(None, False)
    scanner = _Scanner(text, start)
    value, _ = scanner.container(opener, 1)
    return Literal(value, scanner.clean)
