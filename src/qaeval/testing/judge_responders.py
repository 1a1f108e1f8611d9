"""Scripted judge replies for the loopback chat server, so LLM-judge code is tested over real HTTP.

`EcosystemResponder` answers the prompts ragas (0.4) and deepeval (3/4) send for their faithfulness
and factual-correctness metrics: it recognises each stage by its instruction text (statement
extraction, claim decomposition, truths, NLI verdicts, reason), reads the stage's input out of the
prompt, and returns JSON of the shape that stage's pydantic output model expects. Verdicts come
from a transparent oracle: a statement is supported when most of its content words are in the
context, contradicted when it contains one of the `contradictions` phrases, else unsupported.
Stages can be told to answer with nothing (`empty`) or with broken JSON (`malformed`, for the first
N requests), to exercise the adapters' error paths.

Use it as `ChatServer(responder=EcosystemResponder(...))`; `.stages` counts the stages seen.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..textspans import split_sentences

_STOP = frozenset("""a an and are as at be been but by can do does for from has have if in into is it its may
might not of on or so such that the their them then there these they this to was were will with your you
should would could more most than also only all any each other""".split())
_WORD = re.compile(r"[a-z0-9]+")


def user_texts(body: Mapping[str, Any]) -> list[str]:
    """The text of every user message of a request, in order."""
    out = []
    for m in body.get("messages") or []:
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            out.append(c if isinstance(c, str) else " ".join(p.get("text", "") for p in c or [] if isinstance(p, dict)))
    return out


def sentences(text: str) -> list[str]:
    """Statements of a text: its sentences of three words or more."""
    return [s.text for s in split_sentences(text) if len(s.text.split()) >= 3 and not s.is_question]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def _between(text: str, start: str, end: str) -> str:
    a = text.rfind(start)
    if a < 0:
        return ""
    a += len(start)
    b = text.find(end, a)
    return text[a:b if b >= 0 else len(text)]


def _ragas_input(prompt: str) -> dict[str, Any]:
    """ragas' BasePrompt ends with `input: {json}\\nOutput: `."""
    raw = _between(prompt, "\ninput: ", "\nOutput:")
    try:
        return json.loads(raw)
    except ValueError:
        return {}


class EcosystemResponder:
    """A chat-server responder that speaks ragas' and deepeval's faithfulness prompts."""

    def __init__(self, contradictions: Iterable[str] = (), support_threshold: float = 0.6,
                 empty: Iterable[str] = (), malformed: Mapping[str, int] | None = None):
        self.contradictions = [c.lower() for c in contradictions]
        self.support_threshold = support_threshold
        self.empty = set(empty)
        self.malformed = Counter(dict(malformed or {}))
        self.stages: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._handlers: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
            ("ragas.statements", "fully understandable statements", self._ragas_statements),
            ("ragas.nli", "judge the faithfulness of a series of statements", self._ragas_nli),
            ("ragas.claims", "Decompose and break down each of the input sentences", self._ragas_claims),
            ("deepeval.truths", 'with the "truths" key', self._deepeval_truths),
            ("deepeval.claims", 'with the "claims" key', self._deepeval_claims),
            ("deepeval.verdicts", "with the 'verdicts' key", self._deepeval_verdicts),
            ("deepeval.reason", "with the 'reason' key", self._deepeval_reason),
        )

    # ---------- the oracle ----------

    def verdict(self, statement: str, context: str) -> str:
        """supported | contradicted | unsupported."""
        low = statement.lower()
        if any(c in low for c in self.contradictions):
            return "contradicted"
        words = content_words(statement)
        if words and len(words & content_words(context)) / len(words) >= self.support_threshold:
            return "supported"
        return "unsupported"

    # ---------- stages ----------

    def _ragas_statements(self, prompt: str) -> Any:
        return {"statements": sentences(_ragas_input(prompt).get("answer", ""))}

    def _ragas_claims(self, prompt: str) -> Any:
        return {"claims": sentences(_ragas_input(prompt).get("response", ""))}

    def _ragas_nli(self, prompt: str) -> Any:
        data = _ragas_input(prompt)
        ctx = data.get("context", "")
        out = []
        for s in data.get("statements", []):
            v = self.verdict(s, ctx)
            out.append({"statement": s, "reason": f"scripted: {v}", "verdict": int(v == "supported")})
        return {"statements": out}

    def _deepeval_truths(self, prompt: str) -> Any:
        return {"truths": sentences(_between(prompt, "\nText:\n", "\n\nJSON:"))}

    def _deepeval_claims(self, prompt: str) -> Any:
        return {"claims": sentences(_between(prompt, "\nAI Output:\n", "\n\nJSON:"))}

    def _deepeval_verdicts(self, prompt: str) -> Any:
        ctx = _between(prompt, "\nRetrieval Contexts:\n", "\n\nClaims:\n")
        try:
            claims: Sequence[str] = ast.literal_eval(_between(prompt, "\n\nClaims:\n", "\n\nJSON:").strip())
        except (ValueError, SyntaxError):
            claims = []
        word = {"supported": "yes", "contradicted": "no", "unsupported": "borderline"}
        out = []
        for c in claims:
            v = self.verdict(c, ctx)
            out.append({"verdict": word[v], **({} if v == "supported" else {"reason": f"scripted: {v}"})})
        return {"verdicts": out}

    def _deepeval_reason(self, prompt: str) -> Any:
        score = _between(prompt, "Faithfulness Score:\n", "\n").strip() or "?"
        return {"reason": f"The score is {score} because of the scripted verdicts."}

    # ---------- the responder ----------

    def stage_of(self, body: Mapping[str, Any]) -> tuple[str, str, Callable[[str], Any]] | None:
        """The stage a request belongs to, from its first user message that names one."""
        for text in user_texts(body):
            for name, marker, handler in self._handlers:
                if marker in text:
                    return name, text, handler
        return None

    def __call__(self, body: Mapping[str, Any]) -> str | Mapping[str, Any] | None:
        found = self.stage_of(body)
        if found is None:
            return None  # not ours: the server's default answer
        name, prompt, handler = found
        with self._lock:
            self.stages[name] += 1
            broken = self.malformed[name] > 0 or self.malformed["*"] > 0
            if self.malformed[name] > 0:
                self.malformed[name] -= 1
            elif self.malformed["*"] > 0:
                self.malformed["*"] -= 1
        if broken:
            return '{"statements": [ this is not JSON'
        if name in self.empty:
            key = {"ragas.statements": "statements", "ragas.claims": "claims", "ragas.nli": "statements",
                   "deepeval.truths": "truths", "deepeval.claims": "claims", "deepeval.verdicts": "verdicts"}
            return {key.get(name, "reason"): [] if name in key else ""}
        return handler(prompt)


__all__ = ["EcosystemResponder", "content_words", "sentences", "user_texts"]
