"""Runner, persistence, seeding, fault injection and the request log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.faults import FaultRule
from sandbox.runner import RunningSandbox, start_sandbox
from sandbox.store import Store

HEADERS = {"Authorization": "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode(),
           "clientId": "sandbox-client"}


def _empty_db(path: Path) -> Path:
    store = Store(path)
    store.set_meta("seed", "test-empty")  # skip the demo-data generator
    store.close()
    return path


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with start_sandbox(db_path=_empty_db(tmp_path / "s.db")) as running:
        yield running


@pytest.fixture()
def client(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_base, headers=HEADERS, timeout=10) as c:
        yield c


def test_runner_reports_port_and_urls(sandbox: RunningSandbox) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:") and not sandbox.url.endswith(":0")
    assert sandbox.api_base == sandbox.url + "/v4_6_release/apis/3.0"
    assert httpx.get(f"{sandbox.api_base}/service/boards/count", headers=HEADERS).json() == {"count": 0}


def test_data_persists_across_restart(tmp_path: Path) -> None:
    db = _empty_db(tmp_path / "p.db")
    with start_sandbox(db_path=db) as first:
        r = httpx.post(f"{first.api_base}/company/companies", headers=HEADERS,
                       json={"identifier": "Keep", "name": "Kept Co"})
        assert r.status_code == 201
    with start_sandbox(db_path=db) as second:
        found = httpx.get(f"{second.api_base}/company/companies", headers=HEADERS,
                          params={"conditions": 'identifier = "keep"'}).json()
        assert [c["name"] for c in found] == ["Kept Co"]


def test_429_with_retry_after_then_recovers(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule(method="GET", path=r"/service/boards$", status=429, retry_after=2, times=2))
    for _ in range(2):
        r = client.get("/service/boards")
        assert r.status_code == 429 and r.headers["retry-after"] == "2"
        assert set(r.json()) == {"code", "message", "errors"}
    assert client.get("/service/boards").status_code == 200
    assert client.get("/service/priorities").status_code == 200


def test_500_only_for_matching_method(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.faults.add(method="POST", path="/company/companies", status=500)
    assert client.get("/company/companies").status_code == 200
    assert client.post("/company/companies", json={"identifier": "A", "name": "A"}).status_code == 500
    assert client.post("/company/companies", json={"identifier": "A", "name": "A"}).status_code == 201
    # The injected 500 never reached the handler: exactly one company exists.
    assert client.get("/company/companies/count").json() == {"count": 1}


def test_latency(sandbox: RunningSandbox, client: httpx.Client) -> None:
    """The rule fires once: the first request is delayed (and still answered), the second is not. Shown by the
    request log and the rule's count, not by timing requests on a machine that may be busy."""
    rule = sandbox.faults.add(path="/service/boards", latency=0.3)
    sandbox.requests.clear()
    assert client.get("/service/boards").status_code == 200
    assert client.get("/service/boards").status_code == 200
    first, second = [e for e in sandbox.requests.entries() if e.path.endswith("/service/boards")]
    assert (first.fault, first.status) == (rule.id, 200)
    assert (second.fault, second.status) == (None, 200)


def test_drop_before_handling(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.faults.add(method="POST", path="/company/companies$", drop="before")
    with pytest.raises(httpx.TransportError):
        client.post("/company/companies", json={"identifier": "D", "name": "D"})
    assert client.get("/company/companies/count").json() == {"count": 0}
    entry = next(e for e in sandbox.requests.entries() if e.method == "POST")
    assert entry.dropped and entry.status is None


def test_drop_after_handling_commits_the_write(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.faults.add(method="POST", path="/company/companies$", drop="after")
    with pytest.raises(httpx.TransportError):
        client.post("/company/companies", json={"identifier": "D", "name": "D"})
    assert client.get("/company/companies/count").json() == {"count": 1}
    assert sandbox.requests.count("POST", r"/company/companies$") == 1


def test_faults_and_requests_over_http(sandbox: RunningSandbox, client: httpx.Client) -> None:
    control = httpx.Client(base_url=sandbox.url, timeout=10)
    created = control.post("/__sandbox/faults", json={"path": "/service/priorities", "status": 503, "times": 1})
    assert created.status_code == 201 and created.json()["id"] >= 1
    assert [r["status"] for r in control.get("/__sandbox/faults").json()] == [503]
    assert control.post("/__sandbox/faults", json={"status": 200}).status_code == 400
    assert control.post("/__sandbox/faults", json={"path": "("}).status_code == 400
    assert client.get("/service/priorities").status_code == 503
    assert control.get("/__sandbox/faults").json() == []  # used up
    control.post("/__sandbox/faults", json={"path": ".*", "status": 500, "times": None})
    assert control.delete("/__sandbox/faults").status_code == 204
    assert client.get("/service/priorities").status_code == 200
    log = control.get("/__sandbox/requests").json()
    assert [(e["method"], e["status"]) for e in log if e["path"].endswith("/service/priorities")] == [
        ("GET", 503), ("GET", 200)]
    assert control.delete("/__sandbox/requests").status_code == 204
    assert control.get("/__sandbox/requests").json() == []
    control.close()


def test_seeds_with_the_demo_generator(tmp_path: Path) -> None:
    from sandbox.seed import INJECTION_TICKET_IDS

    db = tmp_path / "seeded.db"
    with start_sandbox(db_path=db, seed=7, tickets=50) as running:
        count = httpx.get(f"{running.api_base}/service/tickets/count", headers=HEADERS).json()["count"]
        assert count == 50 + len(INJECTION_TICKET_IDS)
        first = httpx.get(f"{running.api_base}/service/tickets", headers=HEADERS,
                          params={"pageSize": 5, "orderBy": "_info/lastUpdated desc"})
        assert first.status_code == 200 and len(first.json()) == 5
        board = first.json()[0]["board"]["name"]
        same = httpx.get(f"{running.api_base}/service/tickets/count", headers=HEADERS,
                         params={"conditions": f'board/name = "{board}"'}).json()["count"]
        assert 1 <= same <= count
    with start_sandbox(db_path=db, seed=8, tickets=10) as again:  # an existing db is reused as-is
        assert httpx.get(f"{again.api_base}/service/tickets/count", headers=HEADERS).json()["count"] == count
