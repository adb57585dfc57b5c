"""A tolerant reader for the JSON / Python-literal answers that models write.

Model output is untrusted text: nothing here evaluates it (no eval, exec or
ast.literal_eval), and no input makes it raise. `read_literal` reads the first list or object
in a text and says whether it was complete. It understands JSON and Python literals: strings
in ' or " with backslash escapes (JSON's \\uXXXX, surrogate pairs included, and repr's \\xXX,
\\uXXXX, \\UXXXXXXXX), numbers, true/false/null and True/False/None. It also accepts what
models get wrong and marks the literal incomplete when it had to:

- output cut off mid-answer keeps its complete items (a cut string, word or number is dropped,
  a cut list or object keeps what it holds; one cut before its first item is dropped);
- an unescaped quote inside a string (`'Newton's law'`) is kept as text when the next
  non-space character cannot follow a string;
- bare words (`[BERT, ELMo]`) are read as strings; missing commas and stray closers are
  skipped over;
- YAYI-UIE's full-width colon and comma (：，) and curly quotes (“” ‘’) act as : , " and '
  (these alone need no repair: YAYI's own prompt uses the full-width colon).

Nesting deeper than MAX_DEPTH is cut off, so recursion is bounded; every step consumes input,
so time is linear in the length of the text.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
CLOSERS = {"[": "]", "{": "}"}
QUOTES = {"'": "'", '"': '"', "“": "”", "‘": "’"}
COLONS = ":："
COMMAS = ",，"
# A string's closing quote is followed (after spaces) by one of these, or by the end.
AFTER_STRING = COMMAS + COLONS + "]}" + "".join(QUOTES)
BARE_END = COMMAS + COLONS + "[]{}\n"
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\"}
HEX_WIDTHS = {"x": 2, "u": 4, "U": 8}
HEX_DIGITS = re.compile(r"[0-9a-fA-F]+")
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Longer digit runs stay words: int() refuses more than 4300 digits.
MAX_NUMBER_CHARS = 100
CONSTANTS = {"true": True, "True": True, "false": False, "False": False}
NULLS = ("null", "None")


class _Nothing:
    """No value at this position (a stray character was stepped over)."""


NOTHING = _Nothing()


@dataclass(frozen=True)
class Literal:
    value: Any  # the list or dict read; None when the text has no opening bracket
    complete: bool  # the literal was closed and needed no repair


class _Scanner:
    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.i = start
        self.repaired = False

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def next_visible(self, index: int) -> str:
        """The first non-space character from `index` on ('' at the end)."""
        while index < len(self.text) and self.text[index].isspace():
            index += 1
        return self.text[index] if index < len(self.text) else ""

    def value(self, depth: int, enclosing: str) -> tuple[Any, bool]:
        """(value, whole). `whole` is False when the end of the text cut the value off; the
        value is then NOTHING unless it is a container holding complete items."""
        self.skip_space()
        if self.at_end():
            return NOTHING, False
        char = self.text[self.i]
        if char in CLOSERS:
            if depth >= MAX_DEPTH:
                self.repaired = True
                self.i = len(self.text)
                return NOTHING, False
            self.i += 1
            return self.items(char, depth + 1, enclosing)
        if char in QUOTES:
            return self.string(QUOTES[char])
        if char in COLONS:  # a colon where a value belongs: step over it
            self.repaired = True
            self.i += 1
            return NOTHING, True
        if char in COMMAS or char in "]}":  # no value at all; the container handles it
            self.repaired = True
            return NOTHING, True
        return self.bare()

    def items(self, opener: str, depth: int, enclosing: str) -> tuple[Any, bool]:
        """The items of a container whose opener was just consumed."""
        closer = CLOSERS[opener]
        inner = enclosing + closer
        found: Any = {} if opener == "{" else []
        after_item = False
        while True:
            self.skip_space()
            if self.at_end():
                self.repaired = True
                return found, False
            char = self.text[self.i]
            if char == closer:  # a trailing comma before it is fine (Python literal)
                self.i += 1
                return found, True
            if char in "]}":
                self.repaired = True
                if char in enclosing:  # ours is missing; the ancestor's closer ends us too
                    return found, True
                self.i += 1  # a stray closer
                continue
            if char in COMMAS:
                self.repaired = self.repaired or not after_item
                after_item = False
                self.i += 1
                continue
            self.repaired = self.repaired or after_item  # a missing comma
            after_item = True
            if opener == "{":
                whole = self.entry(found, depth, inner)
            else:
                item, whole = self.value(depth, inner)
                if self.keep(item, whole):
                    found.append(item)
            if not whole:
                return found, False

    def entry(self, found: dict[Any, Any], depth: int, inner: str) -> bool:
        """Read `key: value` into `found`; False when the text ended inside it."""
        key, whole = self.value(depth, inner)
        if not whole or key is NOTHING:
            return whole
        self.skip_space()
        if self.at_end():
            return False
        if self.text[self.i] not in COLONS:
            self.repaired = True  # a key without a value
            return True
        self.i += 1
        item, whole = self.value(depth, inner)
        if not self.keep(item, whole):
            return whole
        if isinstance(key, str):
            found[key] = item
        else:
            self.repaired = True  # keys of our answers are strings; drop the others
        return whole

    @staticmethod
    def keep(item: Any, whole: bool) -> bool:
        if item is NOTHING:
            return False
        return whole or bool(item)  # a cut-off container is kept only with complete items

    def string(self, closing: str) -> tuple[Any, bool]:
        out: list[str] = []
        self.i += 1
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char == closing:
                self.i += 1
                after = self.next_visible(self.i)
                if after == "" or after in AFTER_STRING:
                    return "".join(out), True
                self.repaired = True  # an unescaped quote inside the string
                out.append(char)
                continue
            if char == "\\":
                if self.i + 1 >= len(text):
                    break
                out.append(self.escape(text[self.i + 1]))
                continue
            out.append(char)
            self.i += 1
        self.repaired = True
        return NOTHING, False  # an unterminated string is cut off, never half-kept

    def escape(self, code: str) -> str:
        """The character of the escape at self.i (the backslash), consuming it."""
        width = HEX_WIDTHS.get(code, 0)
        digits = self.text[self.i + 2 : self.i + 2 + width]
        if width and len(digits) == width and HEX_DIGITS.fullmatch(digits):
            self.i += 2 + width
            return self.code_point(int(digits, 16))
        self.i += 2
        if code in ESCAPES or code in QUOTES:
            return ESCAPES.get(code, code)
        return "\\" + code  # Python keeps unknown escapes (\d, \alpha) as written

    def code_point(self, point: int) -> str:
        # JSON writes a character beyond the BMP as a pair of \\u surrogate escapes.
        if 0xD800 <= point < 0xDC00 and self.text.startswith("\\u", self.i):
            low = self.text[self.i + 2 : self.i + 6]
            if len(low) == 4 and HEX_DIGITS.fullmatch(low) and 0xDC00 <= int(low, 16) < 0xE000:
                self.i += 6
                return chr(0x10000 + ((point - 0xD800) << 10) + int(low, 16) - 0xDC00)
        if 0xD800 <= point < 0xE000 or point > sys.maxunicode:
            self.repaired = True  # a lone surrogate cannot be encoded downstream
            return "\ufffd"
        return chr(point)

    def bare(self) -> tuple[Any, bool]:
        """A number, a constant, or an unquoted word (a repair), up to the next delimiter."""
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in BARE_END:
            self.i += 1
        if self.at_end():
            self.repaired = True
            return NOTHING, False  # it may be cut off
        word = self.text[start : self.i].strip()
        if word in CONSTANTS:
            return CONSTANTS[word], True
        if word in NULLS:
            return None, True
        if len(word) <= MAX_NUMBER_CHARS and NUMBER.fullmatch(word):
            return (int(word) if word.lstrip("-").isdigit() else float(word)), True
        self.repaired = True
        return word, True


def first_of(text: str, chars: str, start: int = 0) -> int:
    """The index of the first of `chars` in text[start:], or -1."""
    found = [index for index in (text.find(c, start) for c in chars) if index >= 0]
    return min(found, default=-1)


def read_literal(text: str, opener: str = "[{", start: int = 0) -> Literal:
    """The first list or object in text[start:] that opens with one of `opener`."""
    if not opener or set(opener) - set(CLOSERS):
        raise ValueError(f"opener must be made of '[' and '{{', not {opener!r}")
    index = first_of(text, opener, start)
    if index < 0:
        return Literal(None, False)
    scanner = _Scanner(text, index + 1)
    value, whole = scanner.items(text[index], 1, "")
    return Literal(value, whole and not scanner.repaired)


def read_sequence(text: str, start: int) -> Literal:
    """Items from text[start] on, read as if a list opened just before: for answers that
    forgot the enclosing brackets. Never complete, since the opener was missing."""
    value, _ = _Scanner(text, start).items("[", 1, "")
    return Literal(value, False)
