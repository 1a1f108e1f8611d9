"""The loopback Chat Completions server that the generator, judges and benchmarks are tested against.

Driven here with the stdlib's http.client, so the server is checked independently of the `openai`
client that the generator tests use.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from qaeval.testing import ChatServer, ChatServerProcess, Rule, default_answer
from qaeval.testing.chat_server import fault_kind


def post(srv: ChatServer, body: Any, key: str | None = None, conn: http.client.HTTPConnection | None = None,
         timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    if own:
        conn.close()
    return out


def ask(text: str, model: str = "m") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": text}]}


@pytest.fixture
def srv():
    with ChatServer() as s:
        yield s


def test_completion_is_a_chat_completion_with_usage_and_is_logged(srv: ChatServer) -> None:
    status, headers, data = post(srv, ask("Can I drink coffee during chemo?"))
    assert status == 200 and headers["content-type"] == "application/json"
    body = json.loads(data)
    assert body["object"] == "chat.completion" and body["model"] == "m"
    msg = body["choices"][0]["message"]
    assert msg["role"] == "assistant" and "Can I drink coffee during chemo?" in msg["content"]
    assert body["choices"][0]["finish_reason"] == "stop"
    u = body["usage"]
    assert u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    [rec] = srv.completions()
    assert (rec.method, rec.model, rec.last_user, rec.status, rec.fault) == ("POST", "m", "Can I drink coffee during chemo?", 200, None)


def test_models_endpoint_and_unknown_routes(srv: ChatServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/v1/models")
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["data"][0]["id"] == "test-model"
    conn.request("GET", "/v1/nothing")
    resp = conn.getresponse()
    assert resp.status == 404 and "no route" in json.loads(resp.read())["error"]["message"]
    conn.close()


def test_keep_alive_serves_several_requests_on_one_connection(srv: ChatServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    for i in range(3):
        status, _, data = post(srv, ask(f"question {i}"), conn=conn)
        assert status == 200 and f"question {i}" in json.loads(data)["choices"][0]["message"]["content"]
    conn.close()
    assert len(srv.completions()) == 3


def test_bad_requests_are_400_and_stream_is_refused(srv: ChatServer) -> None:
    assert post(srv, {"model": "m"})[0] == 400
    assert post(srv, {"model": "m", "messages": []})[0] == 400
    status, _, data = post(srv, {**ask("hi"), "stream": True})
    assert status == 400 and "stream" in json.loads(data)["error"]["message"]


def test_unknown_model_is_404_when_models_are_listed() -> None:
    with ChatServer(models=["known"]) as s:
        assert post(s, ask("hi", model="known"))[0] == 200
        status, _, data = post(s, ask("hi", model="other"))
        assert status == 404 and json.loads(data)["error"]["code"] == "model_not_found"


def test_authorization_is_checked() -> None:
    with ChatServer(api_key="sk-right-123456") as s:
        status, _, data = post(s, ask("hi"), key="sk-wrong-123456")
        assert status == 401 and json.loads(data)["error"]["code"] == "invalid_api_key"
        assert "sk-wrong" not in data.decode()  # only echoed when asked to (see below)
        assert post(s, ask("hi"))[0] == 401
        assert post(s, ask("hi"), key="sk-right-123456")[0] == 200
        assert [r.authorized for r in s.completions()] == [False, False, True]
        s.configure(echo_key_in_errors=True)
        assert "sk-wrong-123456" in post(s, ask("hi"), key="sk-wrong-123456")[2].decode()


def test_scripted_rules_by_substring_and_times(srv: ChatServer) -> None:
    srv.configure(rules=[Rule(contains="FEVER", content="Call your team now."),
                         Rule(contains="twice", fault="500", times=2)])
    status, _, data = post(srv, ask("I have a fever of 38.5"))
    assert json.loads(data)["choices"][0]["message"]["content"] == "Call your team now."
    assert [post(srv, ask("fail twice"))[0] for _ in range(3)] == [500, 500, 200]


def test_callable_responder_sees_the_request() -> None:
    seen = []

    def responder(body: dict[str, Any]) -> Any:
        seen.append(body)
        return {"verdict": "supported", "n": len(body["messages"])}

    with ChatServer(responder=responder) as s:
        _, _, data = post(s, {**ask("claim"), "temperature": 0})
    assert json.loads(json.loads(data)["choices"][0]["message"]["content"]) == {"verdict": "supported", "n": 2}
    assert seen[0]["temperature"] == 0


def test_each_fault_kind_behaves_like_the_real_thing() -> None:
    rules = [Rule(contains=k, fault=k) for k in ("rate_limit", "server_error", "drop", "malformed", "empty", "slow")]
    with ChatServer(rules=rules, retry_after_s=2.5, slow_s=0.6) as s:
        status, headers, _ = post(s, ask("rate_limit"))
        assert status == 429 and headers["retry-after"] == "3" and headers["retry-after-ms"] == "2500"
        assert post(s, ask("server_error"))[0] == 500
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            post(s, ask("drop"))
        status, _, data = post(s, ask("malformed"))
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(data)
        status, _, data = post(s, ask("empty"))
        assert status == 200 and json.loads(data)["choices"][0]["message"]["content"] == ""
        t0 = time.perf_counter()
        assert post(s, ask("slow"))[0] == 200
        assert time.perf_counter() - t0 >= 0.55
        with pytest.raises(socket.timeout):  # a client with a shorter timeout gives up
            post(s, ask("slow"), timeout=0.2)
        assert [r.fault for r in s.completions()][:6] == ["rate_limit", "server_error", "drop", "malformed", "empty", "slow"]


def test_random_faults_are_seeded_by_request_not_by_arrival_order() -> None:
    faults = {"429": 0.15, "500": 0.15}
    questions = [f"question {i}" for i in range(200)]

    def pattern(order: list[str], seed: int) -> dict[str, str | None]:
        with ChatServer(faults=faults, seed=seed) as s:
            for q in order:
                post(s, ask(q))
            return {r.last_user: r.fault for r in s.completions()}  # type: ignore[misc]

    a = pattern(questions, seed=1)
    b = pattern(list(reversed(questions)), seed=1)
    c = pattern(questions, seed=2)
    assert a == b and a != c
    rate = sum(1 for v in a.values() if v) / len(a)
    assert 0.18 < rate < 0.42
    assert set(filter(None, a.values())) == {"rate_limit", "server_error"}


def test_fault_configuration_is_validated() -> None:
    assert fault_kind("429") == "rate_limit" and fault_kind("timeout") == "slow"
    with pytest.raises(ValueError):
        ChatServer(faults={"lightning": 0.1})
    with pytest.raises(ValueError):
        ChatServer(faults={"500": 0.7, "drop": 0.6})
    with pytest.raises(ValueError):
        ChatServer(host="0.0.0.0")


def test_fifty_slow_requests_overlap_instead_of_queueing() -> None:
    latency = 0.5
    with ChatServer(latency_s=latency) as s:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(lambda i: post(s, ask(f"q{i}"))[0], range(50)))
        elapsed = time.perf_counter() - t0
        assert statuses == [200] * 50
        assert elapsed < latency * 10, f"50 requests of {latency}s took {elapsed:.2f}s: serialised?"
        assert s.stats()["max_inflight"] >= 40


def test_stop_ends_pending_slow_requests_and_frees_the_port() -> None:
    s = ChatServer(rules=[Rule(fault="slow")], slow_s=30).start()
    port = s.port
    errors: list[BaseException] = []

    def hang() -> None:
        try:
            post(s, ask("x"), timeout=20)
        except BaseException as exc:  # noqa: BLE001 - we only want to see that it ended
            errors.append(exc)

    t = threading.Thread(target=hang)
    t.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    s.stop()
    t.join(5)
    assert not t.is_alive() and errors and time.perf_counter() - t0 < 5
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    with socket.socket() as sock:  # the port can be listened on again (as any server would: SO_REUSEADDR)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_default_answer_restates_grounded_facts() -> None:
    body = ask("Is fatigue normal?\n\nReference facts:\n- Fatigue is common (NCI, 2024).\n- Exercise helps (ASCO, 2023).\n\n"
               "Sources:\n- NCI (NIH, 2024)")
    text = default_answer(body)
    assert "Fatigue is common (NCI, 2024)." in text and "Exercise helps (ASCO, 2023)." in text
    assert "NIH" not in text and "not medical advice" in text


def test_server_in_its_own_process_is_steered_over_http() -> None:
    with ChatServerProcess(latency_s=0.0) as p:
        conn = http.client.HTTPConnection("127.0.0.1", int(p.url.rsplit(":", 1)[1].split("/")[0]), timeout=5)
        conn.request("POST", "/v1/chat/completions", body=json.dumps(ask("hi")), headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
        assert p.stats()["completions"] == 1 and p.log()[0]["last_user"] == "hi"
        p.configure(faults={"500": 1.0})
        conn = http.client.HTTPConnection("127.0.0.1", int(p.url.rsplit(":", 1)[1].split("/")[0]), timeout=5)
        conn.request("POST", "/v1/chat/completions", body=json.dumps(ask("hi")), headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 500
        conn.close()
        p.reset_log()
        assert p.stats()["completions"] == 0
        proc = p.proc
    assert proc is not None and proc.poll() is not None
