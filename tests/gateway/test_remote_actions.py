"""The gateway in a cluster: aliases to actions of other nodes, whose definitions (``params``...) arrive in their
INFO packets and may use validator rules this node does not know (a Node.js node's custom types)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from broker.transporters import FakeBus, FakeTransporter

from .conftest import serve
from .services import gateway_service


async def test_a_remote_action_with_params_this_node_cannot_read_is_documented_and_callable() -> None:
    bus = FakeBus()
    peer = FakeTransporter(bus=bus)

    def answer(packet_type: str, data: bytes) -> None:
        req = json.loads(data)
        res = {"ver": "4", "sender": "js", "id": req["id"], "meta": {}, "success": True, "data": req["params"]}
        bus.publish("MOL.RES.gw", json.dumps(res).encode())

    peer.init(answer)
    await peer.connect()
    await peer.subscribe("MOL.REQ.js", "REQ")
    settings: dict[str, Any] = {"routes": [{"path": "/api", "aliases": {"GET /op": "remote.op"}}]}
    async with serve(gateway_service(**settings), node_id="gw", transporter=FakeTransporter(bus=bus)) as s:
        params = {"a": {"type": "jsOnlyType"}, "b": 5, "c": {"type": "string", "min": "x"}}
        action = {"name": "remote.op", "params": params}
        info = {"ver": "4", "sender": "js", "services": [{"name": "remote", "actions": {"remote.op": action}}],
                "instanceID": "js-1", "seq": 1}  # fmt: skip
        bus.publish("MOL.INFO", json.dumps(info).encode())
        async with asyncio.timeout(5):
            while "remote.op" not in s.broker.registry.actions:
                await asyncio.sleep(0.01)
        doc = await s.client.get("/openapi.json")
        assert doc.status_code == 200
        assert "get" in doc.json()["paths"]["/api/op"]
        answered = await s.client.get("/api/op", params={"a": "1"})
        assert answered.status_code == 200 and answered.json() == {"a": "1"}
