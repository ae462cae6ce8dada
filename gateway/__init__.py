"""An HTTP API gateway for the broker: moleculer-web for Python, on Starlette and uvicorn.

``broker.create_service({"name": "api", "mixins": [ApiGateway], "settings": {...}})`` serves the broker's actions
over HTTP; ``service.gateway`` is the ASGI app for mounting or in-process tests.
"""

import runpy
from pathlib import Path

# The toolkit's siblings must be its own (see broker/siblings.py, loaded by path).
runpy.run_path(str(Path(__file__).resolve().parent.parent / "broker" / "siblings.py"))["require_siblings"](
    __file__, "broker"
)

from .app import GatewayApp, build_response
from .errors import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitExceededError,
    ServiceUnavailableError,
    UnAuthorizedError,
    UnsupportedMediaTypeError,
)
from .mixin import ApiGateway
from .server import GatewayServer

__all__ = [
    "ApiGateway",
    "BadRequestError",
    "ForbiddenError",
    "GatewayApp",
    "GatewayServer",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitExceededError",
    "ServiceUnavailableError",
    "UnAuthorizedError",
    "UnsupportedMediaTypeError",
    "build_response",
]
