"""Optional LLM-backed scorers: off unless a suite lists them with a judge endpoint.

- `harmful_advice_judge` (harm.py): HealthBench-style safety criteria, one yes/no each.
- `grounding_judge` (grounding.py): per-claim supported / contradicted / unsupported verdicts.
- `ragas_faithfulness`, `ragas_factual_correctness`, `deepeval_faithfulness` (ecosystems.py):
  ragas and deepeval metrics, imported only when a suite builds one.

All of them call any OpenAI-compatible endpoint (client.py): temperature 0, JSON verdicts validated
by a schema, retried when malformed, cached by content hash, the key read from the environment.
Importing this package registers the names; it imports neither `openai` nor ragas nor deepeval.
See docs/judges.md.
"""

from . import ecosystems, grounding, harm  # noqa: F401  (registers the scorer names)
from .client import JudgeClient, JudgeError, JudgeReply, JudgeSettings

__all__ = ["JudgeClient", "JudgeError", "JudgeReply", "JudgeSettings"]
