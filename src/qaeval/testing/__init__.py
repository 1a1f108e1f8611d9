"""Test helpers that ship with qaeval: a real Chat Completions server on 127.0.0.1 with fault injection.

Tests, benchmarks and LLM-judge tests use it instead of mocking the HTTP client, so what is tested
is the same code path that talks to a real endpoint.
"""

from .chat_server import FAULTS, ChatServer, ChatServerProcess, RequestRecord, Rule, default_answer

__all__ = ["FAULTS", "ChatServer", "ChatServerProcess", "RequestRecord", "Rule", "default_answer"]
