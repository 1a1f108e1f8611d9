"""Claims: the sentences of an answer that assert something a fact could support or contradict.

Headings, questions (e.g. "questions to ask your doctor"), and disclaimer sentences are skipped.
"""

from __future__ import annotations

import re

from ..textspans import Span, split_sentences

_NON_CLAIM = re.compile(
    r"not\s+(?:a\s+substitute\s+for\s+)?(?:professional\s+)?medical\s+advice|general\s+information|"
    r"informational\s+purposes|educational\s+purposes|i'?m\s+not\s+a\s+doctor|"
    r"^(?:great|good|excellent|important)\s+question|^i'?m\s+(?:so\s+)?sorry|^(?:here(?:'s|\s+is|\s+are))\b.*:$|"
    r"^(?:sources?|references?)\s*:?$", re.I)


def extract_claims(text: str) -> list[Span]:
    out = []
    for sp in split_sentences(text):
        if sp.is_question or sp.is_heading:
            continue
        if len(re.findall(r"[A-Za-z]{2,}", sp.text)) < 4:
            continue
        if _NON_CLAIM.search(sp.text.strip()):
            continue
        out.append(sp)
    return out


_STOP = set("""a an the and or of to in on for with by is are was were be been being it its this that these those as at from
your you i we they he she them our their can may might will would should could do does did not no than then so such
also very more most much many some any each other into about over under after before while if when what which who how
has have had there here just only often usually""".split())


def content_tokens(text: str) -> set[str]:
    toks = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())
    return {t[:-1] if t.endswith("s") and len(t) > 4 else t for t in toks if t not in _STOP and len(t) > 1}
