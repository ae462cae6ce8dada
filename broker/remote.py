"""Remote calls, events and pings over ``Transit`` (reference ``moleculer-core.md`` §9.2, §9.6).

Outgoing calls: the handler of a remote endpoint sends REQ to its node and waits for the RES with the same ``id``.
The broker's timeout (``ctx.timeout``, ms) and retry policy apply: a retry re-resolves the endpoint, so it can land
on another node, or on a local one. The RES ``meta`` is merged into the caller's ``ctx.meta``; an error RES is
recreated as its class by ``error_from_dict``. Calls waiting on a node that leaves fail with
``RequestRejectedError`` (retryable).

Incoming calls run the local endpoint's handler (with every local middleware) in a context built from the REQ,
and answer RES with the final ``ctx.meta``; an error goes back in §7's shape (``MoleculerError.to_dict``).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import packets as P
from .builtin_middlewares import _normalise_policy
from .context import Context
from .errors import (
    MoleculerError,
    RequestRejectedError,
    RequestTimeoutError,
    ServiceNotFoundError,
    error_from_dict,
)
from .packet_checks import BadPacket, event_fields
from .utils import finite_number, generate_uid

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Endpoint
    from .remote_services import RemoteAction
    from .transit import Transit

__all__ = ["RemoteCalls", "error_to_dict"]


def error_to_dict(err: BaseException, node_id: str) -> dict[str, Any]:
    """The RES ``error`` fields of any exception (a plain Python one becomes a ``MoleculerError``-shaped 500)."""
    if isinstance(err, MoleculerError):
        return err.to_dict(node_id)
    return {
        "name": type(err).__name__,
        "message": str(err),
        "nodeID": node_id,
        "code": 500,
        "type": None,
        "retryable": False,
        "stack": "".join(traceback.format_exception(err)),
        "data": None,
    }


class _Pending:
    """A call waiting for its RES (``action`` ``None``: a PING waiting for its PONG); ``balanced``: sent to a
    NATS queue group, so any node serving ``action`` may answer."""

    __slots__ = ("action", "balanced", "future", "node_id")

    def __init__(
        self, future: asyncio.Future[dict[str, Any]], node_id: str, action: str | None, balanced: bool = False
    ) -> None:
        self.future = future
        self.node_id = node_id
        self.action = action
        self.balanced = balanced


class RemoteCalls:
    """Pending requests and pings of one ``Transit``, and the packets that carry calls and events."""

    def __init__(self, transit: Transit) -> None:
        self.transit = transit
        self.broker = transit.broker
        self.pending: dict[str, _Pending] = {}
        self.pings: dict[str, _Pending] = {}

    # -- outgoing calls -------------------------------------------------------------------------------------

    def action_handler(self, act: RemoteAction) -> Callable[[Context], Awaitable[Any]]:
        """The handler of a remote endpoint: REQ/RES with the broker's timeout and retry policy."""
        broker = self.broker
        name = act.name
        policy = {**broker.retry_policy, **_normalise_policy(act.definition.get("retryPolicy") or {})}

        async def remote_handler(ctx: Context) -> Any:
            endpoint = ctx.endpoint
            retries = ctx.options.get("retries")
            attempts_left = (policy.get("retries", 0) if retries is None else retries) if policy.get("enabled") else 0
            attempt = 0
            while True:
                try:
                    if endpoint is None:
                        endpoint = broker.registry.get_action_endpoint(name, None, ctx)  # raises: none serves it now
                    if endpoint.local:
                        ctx.endpoint, ctx.action, ctx.service = endpoint, endpoint.action, endpoint.service
                        return await endpoint.handler(ctx)
                    balanced = self.transit.disable_balancer and ctx.options.get("node_id") is None
                    return await self.request(ctx, name, endpoint.node_id, balanced)
                except Exception as err:
                    if attempts_left <= 0 or not policy["check"](err):
                        raise
                    attempt += 1
                    attempts_left -= 1
                    delay = min(policy["delay"] * policy["factor"] ** (attempt - 1), policy["max_delay"])
                    broker.logger.warning("Retry to call '%s' action (attempt %d)...", name, attempt)
                    await asyncio.sleep(delay / 1000)
                    endpoint = _resolve(broker, name, ctx)

        return remote_handler

    async def request(self, ctx: Context, action: str, node_id: str, balanced: bool = False) -> Any:
        """Send REQ to ``node_id`` and wait for its RES (``ctx.timeout`` ms, 0 = no limit). ``balanced``
        (``disable_balancer``): to ``REQB.<action>`` instead, where the NATS queue group picks the node."""
        transit = self.transit
        loop = asyncio.get_running_loop()
        req_id = generate_uid()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending[req_id] = _Pending(future, node_id, action, balanced)
        payload: dict[str, Any] = {
            "id": req_id,
            "action": action,
            "params": ctx.params,
            "meta": ctx.meta,
            "timeout": ctx.timeout or 0,
            "level": ctx.level,
            "tracing": None,
            "parentID": ctx.parent_id,
            "requestID": ctx.request_id,
            "caller": ctx.caller,
            "stream": False,
        }
        if transit.protocol_version != "4":
            payload["headers"] = ctx.headers
        try:
            if balanced:
                await transit.publish_topic(f"{transit.prefix}.REQB.{action}", payload)
            else:
                await transit.publish(P.REQUEST, node_id, payload)
            if ctx.timeout:
                deadline = asyncio.timeout(ctx.timeout / 1000)
                try:
                    async with deadline:
                        response = await future
                except TimeoutError:
                    if not deadline.expired():
                        raise
                    raise RequestTimeoutError({"action": action, "nodeID": node_id}) from None
            else:
                response = await future
        finally:
            self.pending.pop(req_id, None)
        meta = response.get("meta")
        if isinstance(meta, dict) and meta is not ctx.meta:
            ctx.meta.update(meta)
        headers = response.get("headers")
        if isinstance(headers, dict):
            ctx.response_headers = headers
        if response.get("success") is True:
            return response.get("data")
        error = response.get("error")
        raise error_from_dict(error if isinstance(error, dict) else {"message": str(error)})

    def on_response(self, payload: dict[str, Any]) -> None:
        """Settle the pending call of a RES; a RES from another node than the one asked (with
        ``disable_balancer``: one that serves the action) is a forgery and ``BadPacket``."""
        pending = self.pending.get(str(payload.get("id")))
        if pending is None or pending.future.done():
            return
        if not self._answered_by(pending, payload["sender"]):
            raise BadPacket(f"a response to a call sent to '{pending.node_id}'")
        pending.future.set_result(payload)

    def _answered_by(self, pending: _Pending, sender: str) -> bool:
        if sender == pending.node_id:
            return True
        if not pending.balanced:
            return False
        endpoints = self.broker.registry.actions.get(pending.action or "")
        return endpoints is not None and any(ep.node_id == sender for ep in endpoints.endpoints)

    def reject_all(self, node_id: str | None) -> None:
        """Fail the calls waiting on ``node_id`` (every call if ``None``) with ``RequestRejectedError``."""
        for req_id, pending in list(self.pending.items()):
            if node_id is None or pending.node_id == node_id:
                self.pending.pop(req_id, None)
                if not pending.future.done():
                    error = RequestRejectedError({"action": pending.action, "nodeID": pending.node_id})
                    pending.future.set_exception(error)

    async def no_handler(self, ctx: Context) -> Any:  # pragma: no cover - remote events go out as EVENT packets
        raise RuntimeError("a remote event endpoint has no local handler")

    # -- incoming calls ---------------------------------------------------------------------------------------

    async def serve_request(self, sender: str, fields: dict[str, Any]) -> None:
        """Run a REQ's action locally and answer RES to ``sender`` (never raises). ``fields``: the REQ checked by
        ``packet_checks.request_fields``. A stream REQ is answered with an error (streams are not supported)
        once, on its first packet; its later chunks are dropped."""
        transit = self.transit
        broker = self.broker
        action = fields["action"]
        if fields["stream"] and fields["seq"] not in (None, 0):
            return
        ctx = Context(broker, None)
        ctx.id = fields["id"]
        ctx.node_id = sender
        ctx.params = fields["params"]
        ctx.meta = fields["meta"]
        ctx.headers = fields["headers"]
        ctx.level = fields["level"]
        ctx.parent_id = fields["parentID"]
        ctx.request_id = fields["requestID"] or ctx.id
        ctx.caller = fields["caller"]
        ctx.timeout = fields["timeout"]
        response: dict[str, Any] = {"id": ctx.id, "meta": ctx.meta, "success": True, "data": None}
        try:
            if fields["stream"]:
                raise MoleculerError("Streams are not supported by this node.", 501, "STREAM_NOT_SUPPORTED")
            endpoint = self._local_endpoint(action, ctx)
            ctx.endpoint, ctx.action, ctx.service = endpoint, endpoint.action, endpoint.service
            response["data"] = await endpoint.handler(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            response["success"] = False
            response["error"] = error_to_dict(err, broker.node_id)
        response["meta"] = ctx.meta
        if transit.protocol_version != "4":
            response["headers"] = ctx.response_headers or None
        try:
            await transit.publish(P.RESPONSE, sender, response)
        except Exception as err:  # e.g. a result JSON cannot carry: answer with the error instead
            self.broker.logger.error("Unable to send the response of '%s'.", action, exc_info=err)
            failed = {"id": ctx.id, "meta": {}, "success": False, "data": None}
            failed["error"] = error_to_dict(err, broker.node_id)
            await transit.publish(P.RESPONSE, sender, failed)

    def _local_endpoint(self, action: str | None, ctx: Context) -> Endpoint:
        """A local endpoint of ``action`` that other nodes may call: protected actions (callable only by this
        node's services) are not found, as on the node that announced them."""
        endpoints = self.broker.registry.actions.get(action) if action is not None else None
        local = endpoints.local_endpoints() if endpoints is not None else []
        local = [ep for ep in local if ep.action.visibility != "protected"]
        if not local:
            raise ServiceNotFoundError({"action": action, "nodeID": self.broker.node_id})
        return local[0] if len(local) == 1 else endpoints.strategy.select(local, ctx)  # type: ignore[union-attr]

    # -- events ---------------------------------------------------------------------------------------------------

    async def send_event(
        self,
        node_id: str,
        event_name: str,
        data: Any,
        groups: list[str] | None,
        broadcast: bool,
        options: dict[str, Any],
    ) -> None:
        """EVENT to one node: ``groups`` are the groups chosen there (emit) or the caller's filter (broadcast)."""
        parent = options.get("parent_ctx")
        meta = options.get("meta")
        if parent is not None:
            meta = {**parent.meta, **meta} if meta else parent.meta
        payload: dict[str, Any] = {
            "id": generate_uid(),
            "event": event_name,
            "data": data,
            "broadcast": broadcast,
            "meta": meta or {},
            "level": parent.level + 1 if parent is not None else 1,
            "tracing": None,
            "parentID": parent.id if parent is not None else None,
            "requestID": parent.request_id if parent is not None else None,
            "caller": parent.service.full_name if parent is not None and parent.service is not None else None,
            "needAck": None,
        }
        if groups is not None:
            payload["groups"] = groups
        if self.transit.protocol_version != "4":
            payload["headers"] = options.get("headers") or {}
        if self.transit.disable_balancer and not broadcast and groups:
            for group in groups:  # the NATS queue group of each event group picks the node
                subject = event_name.replace("**", ">") if event_name.endswith("**") else event_name
                topic = f"{self.transit.prefix}.EVENTB.{group}.{subject}"
                await self.transit.publish_topic(topic, {**payload, "groups": [group]})
            return
        await self.transit.publish(P.EVENT, node_id, payload)

    def receive_event(self, payload: dict[str, Any]) -> None:
        """Deliver an EVENT to this node's subscribers (``groups`` chosen by the sender). ``BadPacket`` for a
        packet ``packet_checks.event_fields`` refuses (an internal ``$`` event among them)."""
        fields = event_fields(payload)
        options: dict[str, Any] = {"meta": fields["meta"]}
        if fields["requestID"]:
            options["request_id"] = fields["requestID"]
        if fields["caller"]:
            options["caller"] = fields["caller"]
        events = self.broker.events
        events.deliver_local(fields["event"], fields["data"], fields["groups"], fields["broadcast"], options)

    # -- ping ---------------------------------------------------------------------------------------------------

    async def ping(self, node_id: str, timeout: float) -> dict[str, Any] | None:
        """PING one node; ``{"nodeID", "elapsedTime", "timeDiff"}`` (ms) or ``None`` after ``timeout`` ms. The round
        trip also updates the node's average latency (the ``Latency`` strategy's figure)."""
        ping_id = generate_uid()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pings[ping_id] = _Pending(future, node_id, None)
        sent = int(time.time() * 1000)
        started = time.perf_counter()
        try:
            await self.transit.publish(P.PING, node_id, {"time": sent, "id": ping_id})
            async with asyncio.timeout(timeout / 1000):
                pong = await future
        except TimeoutError:
            return None
        finally:
            self.pings.pop(ping_id, None)
        self.transit.nodes.record_round_trip(node_id, (time.perf_counter() - started) * 1000)
        now = int(time.time() * 1000)
        elapsed = now - sent
        arrived_at = pong.get("arrived")
        arrived = arrived_at if finite_number(arrived_at) else now
        return {"nodeID": node_id, "elapsedTime": elapsed, "timeDiff": round(now - arrived - elapsed / 2)}

    def on_pong(self, payload: dict[str, Any]) -> None:
        """Settle a ping; a PONG from another node than the one pinged is ``BadPacket``."""
        pending = self.pings.get(str(payload.get("id")))
        if pending is None or pending.future.done():
            return
        if payload["sender"] != pending.node_id:
            raise BadPacket(f"a PONG to a PING sent to '{pending.node_id}'")
        pending.future.set_result(payload)


def _resolve(broker: Any, name: str, ctx: Context) -> Endpoint | None:
    """The endpoint for a retry: re-resolved, so it may be another node; ``None`` lets the next attempt raise."""
    try:
        endpoint: Endpoint = broker.registry.get_action_endpoint(name, None, ctx)
    except Exception:
        return None
    return endpoint
