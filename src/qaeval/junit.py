"""JUnit XML for gate results, so any CI test-report viewer shows which answer failed and why.

Answers and findings are untrusted model output: everything goes through ElementTree (which
escapes markup) after characters that XML 1.0 cannot carry at all (NUL, most C0 controls, lone
surrogates, U+FFFE/U+FFFF) are replaced, so a hostile answer can neither break the file nor
inject elements into it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Iterable

from .gate import Check, GateResult

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _INVALID_XML.sub("\ufffd", str(text))


def _attr(text: object, limit: int = 1000) -> str:
    flat = " ".join(xml_safe(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _case(parent: ET.Element, c: Check) -> None:
    prefix = "" if c.kind == "item" else f"[{c.kind}] "
    el = ET.SubElement(parent, "testcase", classname=xml_safe(f"qaeval.{c.generator}.{c.scorer}"),
                       name=xml_safe(prefix + c.name), time="0")
    first = c.message.splitlines()[0] if c.message else ""
    if c.passed is False:
        kind = "qaeval.error" if c.evidence.get("status") == "error" else f"qaeval.{c.kind}"
        fail = ET.SubElement(el, "failure", message=_attr(first or c.name), type=kind)
        fail.text = xml_safe(c.message)
    elif c.passed is None:
        ET.SubElement(el, "skipped", message=_attr(first or "not checked"))
    elif c.message:
        out = ET.SubElement(el, "system-out")
        out.text = xml_safe(c.message)


def _suite(name: str, checks: Iterable[Check]) -> ET.Element:
    checks = list(checks)
    suite = ET.Element("testsuite", name=xml_safe(name), tests=str(len(checks)),
                       failures=str(sum(c.passed is False for c in checks)), errors="0",
                       skipped=str(sum(c.passed is None for c in checks)), time="0")
    for c in checks:
        _case(suite, c)
    return suite


def to_junit_xml(result: GateResult, name: str = "qaeval gate") -> str:
    """One `<testsuite>` per gated generator; aggregates first, then one test case per item × check."""
    root = ET.Element("testsuites", name=xml_safe(name), tests=str(len(result.checks)),
                      failures=str(sum(c.passed is False for c in result.checks)), errors="0", time="0")
    for gen in result.generators:
        mine = [c for c in result.checks if c.generator == gen]
        root.append(_suite(f"qaeval.{gen}", [c for c in mine if c.kind != "item"] + [c for c in mine if c.kind == "item"]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
