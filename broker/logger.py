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


def create_broker_logger(node_id: str, enabled: bool | logging.Logger, level: str | int) -> logging.Logger:
    """The broker's root logger (``moleculer.<node_id>``); services get children of it."""
    if isinstance(enabled, logging.Logger):
        return enabled
    logger = logging.getLogger(f"moleculer.{node_id.replace('.', '_')}")
    if not enabled:
        logger.setLevel(SILENT)
        logger.propagate = False
        return logger
    logger.setLevel(level.upper() if isinstance(level, str) else level)
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
        logger.propagate = False
    else:
        logger.propagate = True
    return logger
