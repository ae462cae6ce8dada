"""Logging through the standard ``logging`` module: one logger per service under the broker's own logger.

``logger=True`` logs at ``log_level``; when the application has configured no logging handler, a console
handler with Moleculer's line format is attached so that a plain script still shows its logs.
``logger=False`` silences the broker and all its services without touching other loggers.
"""

from __future__ import annotations

import logging

__all__ = ["create_broker_logger"]

_FORMAT = "[%(asctime)s] %(levelname)-5s %(name)s: %(message)s"
SILENT = logging.CRITICAL + 10
_OWN_HANDLER = "_moleculer_console"


def create_broker_logger(node_id: str, enabled: bool | logging.Logger, level: str | int) -> logging.Logger:
    """The broker's root logger (``moleculer.<node_id>``); services get children of it.

    Loggers are process-wide by name and node IDs repeat (the default is ``<hostname>-<pid>``), so a silent
    broker gets its own ``moleculer-silent.<node_id>`` logger: silencing it never mutes another broker.
    """
    if isinstance(enabled, logging.Logger):
        return enabled
    node = node_id.replace(".", "_")
    if not enabled:
        logger = logging.getLogger(f"moleculer-silent.{node}")
        logger.setLevel(SILENT)
        logger.propagate = False
        return logger
    logger = logging.getLogger(f"moleculer.{node}")
    logger.setLevel(level.upper() if isinstance(level, str) else level)
    own = [h for h in logger.handlers if getattr(h, _OWN_HANDLER, False)]
    if logging.getLogger().handlers:  # the application configured logging: use it, and only it
        for handler in own:
            logger.removeHandler(handler)
        logger.propagate = True
    else:
        if not own:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(_FORMAT))
            setattr(handler, _OWN_HANDLER, True)
            logger.addHandler(handler)
        logger.propagate = False
    return logger
