"""A YAML syntax error of a stack file in plain words: the offending line, a caret under the spot, and a hint.

PyYAML says where it stopped in parser terms ("expected <block end>, but found '<block mapping
start>'"); almost every such error in a hand-edited stack file is indentation, a tab, an unclosed
bracket or quote, or a ``: `` inside a plain value. Each gets a sentence and a fix.
"""

from __future__ import annotations

import yaml

# (what PyYAML's problem starts with, what it means, the fix); the first that matches wins.
_PLAIN: tuple[tuple[str, str, str], ...] = (
    (
        "found character '\\t'",
        "a tab character",
        "YAML indents with spaces only: replace the tab with spaces",
    ),
    (
        "expected <block end>",
        "this line's indentation does not fit the lines above",
        "keys of one mapping start in the same column, and the '- ' items of one list line up; indent this line "
        "like its siblings",
    ),
    (
        "mapping values are not allowed here",
        "a ': ' where no key can start",
        "either this line is indented deeper than the key above it (line it up with its siblings), or a value "
        "holds ': ' and needs quotes, such as key: \"a: b\"",
    ),
    (
        "could not find expected ':'",
        "a line without ': ' where a key was expected",
        "indent this line like its siblings, or write it as key: value{context}",
    ),
    (
        "expected ',' or '}'",
        "a '{' is not closed",
        "close the mapping with '}' (each entry key: value, separated by ', '){context}",
    ),
    (
        "expected ',' or ']'",
        "a '[' is not closed",
        "close the list with ']' (items separated by ', '){context}",
    ),
    (
        "found unexpected end of stream",
        "a quote is not closed",
        "end the quoted value with the same quote it starts with{context}",
    ),
)
# PyYAML's context, as the thing the user wrote.
_CONTEXTS = {
    "while parsing a block mapping": "the mapping",
    "while parsing a block collection": "the list",
    "while parsing a flow mapping": "the '{'",
    "while parsing a flow sequence": "the '['",
    "while scanning a quoted scalar": "the quote",
    "while scanning a simple key": "the key",
}


def yaml_error_text(shown: str, text: str, error: yaml.MarkedYAMLError) -> str:
    """``<file>:<line>:<column>: not valid YAML: <what>``, the lines around it with a caret, and a hint."""
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "not valid YAML"
    if mark is None:
        return f"{shown}: not valid YAML: {problem}"
    lines = text.splitlines() or [""]
    line = min(mark.line, len(lines) - 1)  # the end of the file is shown as the end of its last line
    column = mark.column if line == mark.line else len(lines[line])
    context = error.context_mark if error.context and error.problem else None
    started = f" ({_CONTEXTS.get(error.context or '', 'what')} at line {context.line + 1})" if context else ""
    what, fix = problem, ""
    for start, plain, hint in _PLAIN:
        if problem.startswith(start):
            what, fix = f"{plain} ({problem})", hint.replace("{context}", started)
            break
    before = next((n for n in range(line - 1, -1, -1) if lines[n].strip()), None)
    numbers = sorted({n for n in (line, before, context.line if context else None) if n is not None and n <= line})
    width = len(str(line + 1))
    body: list[str] = []
    for previous, number in zip([None, *numbers], numbers, strict=False):
        if previous is not None and number > previous + 1:
            body.append(f"  {'':>{width}} | ...")
        body.append(f"  {number + 1:>{width}} | {lines[number]}")
    body.append(f"  {'':>{width}} | {' ' * column}^")
    hint = f"\n  hint: {fix}" if fix else ""
    return f"{shown}:{line + 1}:{column + 1}: not valid YAML: {what}\n" + "\n".join(body) + hint
