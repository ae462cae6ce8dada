"""``Transit``: this node's side of Moleculer's protocol over a transporter (reference ``moleculer-core.md`` §9).

It subscribes to the node's topics, announces the node (DISCOVER, INFO with an increasing ``seq``), keeps the
remote nodes in the node catalog (``broker.nodes``) and their services in the registry (``broker.remote_services``),
answers REQ/PING, and sends REQ/EVENT for the broker (``broker.remote``). Protocol version ``"4"`` talks to Moleculer
0.14 nodes, ``"5"`` to 0.15 (``headers`` in REQ/RES/EVENT).

Faults never crash the node: a packet that is not JSON, not an object, of another protocol version, without a
valid ``sender``, or with a field of the wrong shape (``broker.packet_checks``) is logged and dropped. Timers
(heartbeats with the CPU usage, expiry of silent nodes, removal of offline ones, latency pings):
``broker.liveness``. ``create_transit`` and ``ping_nodes`` serve ``ServiceBroker``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from . import packets as P
from .errors import BrokerOptionsError
from .liveness import Liveness
from .node_info import client_info, describe_service, hostname, ip_list
from .packet_checks import BadPacket, clean_cpu, info_fields, request_fields, valid_node_id
from .registry import Endpoint
from .remote import RemoteCalls
from .remote_services import RemoteAction, RemoteEvent, RemoteService
from .serializers import Serializer
from .transporters.base import Transporter

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker

__all__ = ["NodeIDConflictError", "Transit", "create_transit", "ping_nodes"]


class NodeIDConflictError(RuntimeError):
    """Another running node announced this node's ID with another ``instanceID``."""


class Transit:
    """Created by ``ServiceBroker`` when it has a transporter; ``connect`` / ``ready`` / ``disconnect``."""

    def __init__(
        self,
        broker: ServiceBroker,
        transporter: Transporter,
        serializer: Serializer,
        protocol_version: str = "4",
        heartbeat_interval: float = 10,
        heartbeat_timeout: float = 30,
        disable_balancer: bool = False,
        clock: Callable[[], float] = time.monotonic,
        clean_offline_timeout: float | None = 600,
    ) -> None:
        self.broker = broker
        self.node_id = broker.node_id
        self.logger = broker.get_logger("transit")
        self.transporter = transporter
        self.serializer = serializer
        self.protocol_version = str(protocol_version)
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.disable_balancer = disable_balancer and transporter.has_built_in_balancer
        self.prefix = P.topic_prefix(broker.namespace)
        self.instance_id = str(uuid.uuid4())
        self.seq = 0
        self.nodes = broker.registry.nodes
        self.nodes.clock = clock
        self.calls = RemoteCalls(self)
        self.liveness = Liveness(self, clean_offline_timeout)
        self.connected = False
        self.ready_ = False
        self.conflict: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._balanced_topics: set[str] = set()
        self._info_scheduled = False
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            P.DISCOVER: self._on_discover,
            P.INFO: self._on_info,
            P.HEARTBEAT: self._on_heartbeat,
            P.REQUEST: self._on_request,
            P.RESPONSE: self.calls.on_response,
            P.EVENT: self._on_event,
            P.DISCONNECT: self._on_disconnect,
            P.PING: self._on_ping,
            P.PONG: self.calls.on_pong,
        }

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, subscribe to this node's topics, ask the others for INFO, start the timers."""
        self.transporter.init(self._on_message, self._on_reconnect)
        await self.transporter.connect()
        await self._subscribe()
        self.connected = True
        await self.publish(P.DISCOVER, None, {})
        self.liveness.start()
        self.broker.events.fire_local("$transporter.connected", {"wasReconnect": False})

    async def ready(self) -> None:
        """The local services are started: announce them (INFO broadcast)."""
        self.ready_ = True
        await self.send_info()

    async def disconnect(self) -> None:
        """Tell the others we leave (DISCONNECT), reject our pending calls, close the connection."""
        self.liveness.stop()
        if self.connected:
            try:
                await self.publish(P.DISCONNECT, None, {})
            except Exception:
                self.logger.warning("Unable to send DISCONNECT.", exc_info=True)
        self.connected = False
        self.ready_ = False
        self.calls.reject_all(None)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:  # a stop started by transit itself (node-ID conflict) must not cancel itself
                task.cancel()
        await self.transporter.disconnect()

    async def _on_reconnect(self) -> None:
        self.logger.info("Transporter reconnected: announcing this node again.")
        self._balanced_topics.clear()
        await self.publish(P.DISCOVER, None, {})
        if self.ready_:
            await self.send_info()
        self.broker.events.fire_local("$transporter.connected", {"wasReconnect": True})

    async def _subscribe(self) -> None:
        own = self.node_id
        topics = [
            (P.EVENT, own), (P.REQUEST, own), (P.RESPONSE, own), (P.DISCOVER, None), (P.DISCOVER, own),
            (P.INFO, None), (P.INFO, own), (P.DISCONNECT, None), (P.HEARTBEAT, None), (P.PING, None),
            (P.PING, own), (P.PONG, own),
        ]  # fmt: skip
        for packet_type, node_id in topics:
            await self.transporter.subscribe(P.topic_name(self.prefix, packet_type, node_id), packet_type)

    async def _subscribe_balanced(self) -> None:
        """``disable_balancer``: NATS queue groups ``REQB.<action>`` and ``EVENTB.<group>.<event>``."""
        for service in self.broker.registry.services:
            for act in service.action_definitions.values():
                if act.visibility != "private":
                    await self._subscribe_once(f"{self.prefix}.REQB.{act.name}", P.REQUEST, act.name)
            for sub in service.event_subscriptions:
                subject = sub.name.replace("**", ">") if sub.name.endswith("**") else sub.name
                await self._subscribe_once(f"{self.prefix}.EVENTB.{sub.group}.{subject}", P.EVENT, sub.group)

    async def _subscribe_once(self, topic: str, packet_type: str, queue: str) -> None:
        if topic not in self._balanced_topics:
            self._balanced_topics.add(topic)
            await self.transporter.subscribe(topic, packet_type, queue)

    # -- sending -------------------------------------------------------------------------------------------

    async def publish(self, packet_type: str, target: str | None, payload: dict[str, Any]) -> None:
        """Send one packet: ``ver`` and ``sender`` are added, as Moleculer's transporter does."""
        await self.publish_topic(P.topic_name(self.prefix, packet_type, target), payload)

    async def publish_topic(self, topic: str, payload: dict[str, Any]) -> None:
        payload["ver"] = self.protocol_version
        payload["sender"] = self.node_id
        await self.transporter.publish(topic, self.serializer.serialize(payload))

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` as a task kept until it ends; its error is logged, never left unretrieved."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.logger.error("Transit task failed.", exc_info=task.exception())

    def local_info(self) -> dict[str, Any]:
        """The INFO payload of this node (services only once it is ready)."""
        services = [describe_service(s) for s in self.broker.registry.services] if self.ready_ else []
        return {
            "services": services,
            "ipList": ip_list(),
            "hostname": hostname(),
            "client": client_info(),
            "config": {},
            "instanceID": self.instance_id,
            "metadata": self.broker.metadata,
            "seq": max(self.seq, 1),
        }

    async def send_info(self, target: str | None = None) -> None:
        """INFO to ``target`` or to every node (a broadcast increases ``seq``: the service list may have changed)."""
        if not self.connected:
            return
        if target is None:
            self.seq += 1
            if self.disable_balancer and self.ready_:
                await self._subscribe_balanced()
                await self.transporter.flush()  # peers that see this INFO can reach the queue groups
        await self.publish(P.INFO, target, self.local_info())

    def services_changed(self) -> None:
        """Local services were (un)registered after start: announce the new list once, soon."""
        if not self.ready_ or self._info_scheduled:
            return
        self._info_scheduled = True

        async def announce() -> None:
            self._info_scheduled = False
            await self.send_info()

        self.spawn(announce())

    # -- receiving ----------------------------------------------------------------------------------------

    def _on_message(self, packet_type: str, data: bytes) -> None:
        """Every packet arrives here: checked, then dispatched. Bad packets are logged and dropped; nothing raises
        into the transporter (a Redis reader that raised would stop reading)."""
        try:
            self._receive(packet_type, data)
        except Exception:
            self.logger.exception("Error while receiving a %s packet.", packet_type)

    def _receive(self, packet_type: str, data: bytes) -> None:
        try:
            payload = self.serializer.deserialize(data)
        except (ValueError, UnicodeDecodeError) as err:
            self.logger.warning("Dropped a %s packet that could not be deserialised: %s", packet_type, err)
            return
        ver = payload.get("ver")
        if ver != self.protocol_version:
            self.logger.warning(
                "Dropped a %s packet of protocol version %r (this node speaks %r).", packet_type, ver,
                self.protocol_version,
            )  # fmt: skip
            return
        sender = payload.get("sender")
        if not valid_node_id(sender):
            self.logger.warning("Dropped a %s packet without a valid sender: %.80r", packet_type, sender)
            return
        if sender == self.node_id and packet_type not in (P.REQUEST, P.RESPONSE, P.EVENT):
            if packet_type == P.INFO and _conflicting_info(payload, self.instance_id):
                self._node_id_conflict()
            return
        handler = self._handlers.get(packet_type)
        if handler is None:
            return
        try:
            handler(payload)
        except BadPacket as err:
            self.logger.warning("Dropped a %s packet from '%s': %s", packet_type, sender, err)
        except Exception:
            self.logger.exception("Error while handling a %s packet from '%s'.", packet_type, sender)

    def _node_id_conflict(self) -> None:
        if self.conflict is not None:
            return
        self.conflict = self.node_id
        self.logger.critical(
            "ServiceBroker has detected a nodeID conflict, use unique nodeIDs. Another node runs as '%s': "
            "this node stops.", self.node_id,
        )  # fmt: skip
        self.spawn(self.broker.stop())

    def _on_discover(self, payload: dict[str, Any]) -> None:
        self.spawn(self.send_info(payload["sender"]))

    def _on_info(self, payload: dict[str, Any]) -> None:
        sender = payload["sender"]
        payload = info_fields(payload)  # BadPacket without a services list
        node, connected, changed = self.nodes.process_info(sender, payload)
        if changed:
            self._register_node_services(sender, payload["services"])
        if connected:
            self.logger.info("Node '%s' connected.", sender)
            self.broker.events.fire_local("$node.connected", {"node": node.to_dict(), "reconnected": False})
        elif changed:
            self.broker.events.fire_local("$node.updated", {"node": node.to_dict()})

    def _register_node_services(self, node_id: str, services: list[Any]) -> None:
        registry = self.broker.registry
        registry.remove_node(node_id)
        logger = self.broker.get_logger("remote")  # one for every node: a logger per node ID would never be freed
        for info in services:  # shapes checked by ``info_fields``
            service = RemoteService(node_id, info, logger)
            registry.remote_services.append(service)
            for definition in info["actions"].values():
                act = RemoteAction(service, definition)
                if act.visibility in ("private", "protected"):
                    continue  # callable only by the node's own services
                act.handler = self.calls.action_handler(act)
                registry.add_action_endpoint(Endpoint(node_id, service, act, act.handler, local=False))
            for definition in info["events"].values():
                sub = RemoteEvent(service, definition)
                registry.add_event_endpoint(Endpoint(node_id, service, sub, self.calls.no_handler, local=False))
        self.broker._notify_services_changed(local=False)

    def _on_heartbeat(self, payload: dict[str, Any]) -> None:
        sender = payload["sender"]
        if self.nodes.heartbeat(sender, clean_cpu(payload.get("cpu"))) is None:
            self.spawn(self.publish(P.DISCOVER, sender, {}))

    def _on_disconnect(self, payload: dict[str, Any]) -> None:
        self.node_gone(payload["sender"], unexpected=False)

    def node_gone(self, node_id: str, unexpected: bool) -> None:
        """A node left (DISCONNECT) or went silent: remove its endpoints, reject the calls waiting on it."""
        node = self.nodes.get(node_id)
        if node is None or not node.available:
            return
        node.available = False
        self.broker.registry.remove_node(node_id)
        self.calls.reject_all(node_id)
        self.logger.info("Node '%s' disconnected%s.", node_id, " unexpectedly" if unexpected else "")
        self.broker.events.fire_local("$node.disconnected", {"node": node.to_dict(), "unexpected": unexpected})
        self.broker._notify_services_changed(local=False)

    def check_nodes(self) -> list[str]:
        """Mark the nodes silent for more than ``heartbeat_timeout`` s as gone; gives their IDs."""
        return self.liveness.check_nodes()

    def _on_request(self, payload: dict[str, Any]) -> None:
        self.spawn(self.calls.serve_request(payload["sender"], request_fields(payload)))

    def _on_event(self, payload: dict[str, Any]) -> None:
        self.calls.receive_event(payload)

    def _on_ping(self, payload: dict[str, Any]) -> None:
        pong = {"time": payload.get("time"), "id": payload.get("id"), "arrived": int(time.time() * 1000)}
        self.spawn(self.publish(P.PONG, payload["sender"], pong))

def _conflicting_info(payload: dict[str, Any], instance_id: str) -> bool:
    """Whether an INFO sent as this node comes from another running node: a well-formed INFO (a services list,
    an ``instanceID`` string) with another ``instanceID``. Other packets sent as this node are only dropped."""
    other = payload.get("instanceID")
    return isinstance(payload.get("services"), list) and isinstance(other, str) and other != instance_id


def create_transit(
    broker: ServiceBroker,
    transporter: Any,
    serializer: Any,
    protocol_version: str,
    heartbeat_interval: float,
    heartbeat_timeout: float,
    registry_options: dict[str, Any],
    disable_balancer: bool,
) -> Transit | None:
    """The broker's ``Transit`` from its options, or ``None`` without a ``transporter``. ``registry_options``
    gives ``cleanOfflineNodesTimeout`` (s, default 600; 0 keeps offline nodes), also read from Moleculer's
    ``discoverer.options``, and ``disableOfflineNodeRemoving``."""
    if transporter is None:
        return None
    from .serializers import resolve_serializer
    from .transporters import resolve_transporter

    discoverer = registry_options.get("discoverer")
    options = registry_options
    if isinstance(discoverer, dict):
        options = {**(discoverer.get("options") or {}), **registry_options}
    clean_after = options.get("cleanOfflineNodesTimeout", options.get("clean_offline_nodes_timeout", 600))
    if clean_after is not None and (not isinstance(clean_after, int | float) or isinstance(clean_after, bool)):
        raise BrokerOptionsError(
            f"Invalid registry option 'cleanOfflineNodesTimeout': {clean_after!r} (expected seconds)",
            {"cleanOfflineNodesTimeout": repr(clean_after)},
        )
    if options.get("disableOfflineNodeRemoving"):
        clean_after = None
    return Transit(
        broker, resolve_transporter(transporter), resolve_serializer(serializer), protocol_version,
        heartbeat_interval, heartbeat_timeout, disable_balancer, clean_offline_timeout=clean_after,
    )  # fmt: skip


async def ping_nodes(transit: Transit | None, node_id: str | None, timeout: float) -> Any:
    """``ServiceBroker.ping``: one node's answer (``None`` without a PONG in ``timeout`` ms or without a
    transporter), or with ``node_id=None`` a dict of every available node's answer (``{}`` without a transporter)."""
    if node_id is not None:
        return None if transit is None else await transit.calls.ping(node_id, timeout)
    if transit is None:
        return {}
    ids = [node.id for node in transit.nodes.available_nodes()]
    answers = await asyncio.gather(*(transit.calls.ping(n, timeout) for n in ids))
    return dict(zip(ids, answers))
