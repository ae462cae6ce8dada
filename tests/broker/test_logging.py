"""Logging goes through ``logging``: one logger per service under the broker's; ``logger=False`` is silent."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from broker import Context, ServiceBroker


def noisy_service() -> dict[str, Any]:
    def shout(self: Any, ctx: Context) -> str:
        self.logger.warning("shouting %s", ctx.params.get("word"))
        return "done"

    def explode(self: Any, ctx: Context) -> None:
        raise RuntimeError("event handler exploded")

    return {"name": "noisy", "version": 2, "actions": {"shout": shout}, "events": {"boom": explode}}


async def test_service_logger_is_a_child_of_the_broker_logger(caplog):
    broker = ServiceBroker(node_id="log-1")
    svc = broker.create_service(noisy_service())
    assert svc.logger.parent is broker.logger
    assert svc.logger is broker.get_logger("v2.noisy")
    async with broker:
        with caplog.at_level(logging.INFO):
            await broker.call("v2.noisy.shout", {"word": "hi"})
    (record,) = [r for r in caplog.records if r.getMessage() == "shouting hi"]
    assert record.name == "moleculer.log-1.v2_noisy" and record.levelno == logging.WARNING


async def test_each_service_has_its_own_logger():
    broker = ServiceBroker(node_id="log-2")
    a, b = broker.create_service({"name": "a"}), broker.create_service({"name": "b"})
    assert a.logger is not b.logger
    assert broker.get_logger("cacher").name == "moleculer.log-2.cacher"


async def test_broker_logs_its_start_at_info(caplog):
    broker = ServiceBroker(node_id="log-3")
    broker.create_service({"name": "a"})
    with caplog.at_level(logging.INFO):
        await broker.start()
        await broker.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "moleculer.log-3"]
    assert "ServiceBroker with 1 service(s) started successfully." in messages
    assert "ServiceBroker is stopped. Good bye." in messages


async def test_log_level_filters_debug_messages(caplog):
    caplog.set_level(logging.DEBUG)
    ServiceBroker(node_id="log-4", log_level="info").create_service({"name": "quiet-debug"})
    ServiceBroker(node_id="log-5", log_level="debug").create_service({"name": "loud-debug"})
    created = [r.name for r in caplog.records if r.getMessage().endswith("is created.")]
    assert created == ["moleculer.log-5"]


async def test_logger_false_silences_broker_and_services(caplog):
    caplog.set_level(logging.DEBUG)
    broker = ServiceBroker(node_id="log-6", logger=False)
    broker.create_service(noisy_service())
    async with broker:
        await broker.call("v2.noisy.shout", {"word": "hidden"})
        await broker.emit("boom")
    assert caplog.records == []


async def test_a_silent_broker_does_not_mute_another_with_the_same_node_id(caplog):
    loud = ServiceBroker(node_id="shared-id")
    ServiceBroker(node_id="shared-id", logger=False)
    with caplog.at_level(logging.INFO):
        loud.logger.info("still audible")
        loud.get_logger("svc").warning("service still audible")
    assert [r.getMessage() for r in caplog.records] == ["still audible", "service still audible"]


async def test_failing_event_handler_is_logged_on_its_service_logger(caplog):
    broker = ServiceBroker(node_id="log-7")
    broker.create_service(noisy_service())
    async with broker:
        await broker.emit("boom")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.name == "moleculer.log-7.v2_noisy"
    assert "event handler exploded" in str(record.exc_info[1])


async def test_a_logger_instance_is_used_as_is(caplog):
    mine = logging.getLogger("my.app.broker")
    broker = ServiceBroker(logger=mine)
    svc = broker.create_service({"name": "s"})
    assert broker.logger is mine
    assert svc.logger.name == "my.app.broker.s"


@pytest.mark.parametrize("level", ["debug", "WARNING", logging.ERROR])
def test_log_level_accepts_names_and_numbers(level):
    broker = ServiceBroker(node_id=f"lvl-{level}", log_level=level)
    expected = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    assert broker.logger.level == expected


def test_console_handler_only_when_the_application_configured_none(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    bare = ServiceBroker(node_id="console-1")
    assert len(bare.logger.handlers) == 1 and bare.logger.propagate is False
    again = ServiceBroker(node_id="console-1")
    assert len(again.logger.handlers) == 1
    monkeypatch.setattr(root, "handlers", [logging.NullHandler()])
    configured = ServiceBroker(node_id="console-1")
    assert configured.logger.handlers == [] and configured.logger.propagate is True
