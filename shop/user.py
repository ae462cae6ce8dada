"""The ``user`` service (post 11 and 14): register, login, me, update of one's own profile; list and remove for
the admin routes.

* register (``user.create``) hashes the password with bcrypt and stores ``role: "user"``; a duplicate e-mail is a
  422 ``EMAIL_EXISTS`` (also when two registrations race: the unique index decides); emits ``user.registered``.
* ``login`` answers ``{"message": "Login successful", "token", "user"}`` and puts the token in ``ctx.meta.token``
  (the gateway sends it as the ``Authorization`` response header, as the course's gateway does).
* ``update`` changes the caller's own ``name``/``email`` only: another user's id is a 403; ``role``, ``password``,
  ``_id`` or any other key is a 422 (no mass assignment).
* ``resolve`` (``visibility: "public"``: services only, never HTTP) answers ``{"id", "email", "role"}`` of a stored,
  active user, or ``None``: the gateway asks it for every token, so a token outlives neither its user (removed or
  deactivated) nor its role (the stored role decides, not the one signed in the token). Cached by id; every write
  to a user cleans the cache.
* The password hash never leaves the service: ``fields`` leave it out of every action's answer and populate, and
  events carry explicit payloads. ``insert`` is removed (it would store a clear-text password).
"""

from __future__ import annotations

from typing import Any

from adapters import EntityAlreadyExistsError
from broker.errors import MoleculerClientError
from dbmixin import DbMixin
from models import Login, User, UserCreate, UserUpdate
from models.fields import now

from .auth import Passwords, Tokens
from .storage import Storage

__all__ = ["PUBLIC_FIELDS", "schema"]

PUBLIC_FIELDS = ["_id", "name", "email", "role", "isActive", "createdAt", "updatedAt"]


def _email_exists(email: str) -> MoleculerClientError:
    return MoleculerClientError("Email already registered", 422, "EMAIL_EXISTS", {"email": email})


async def _register(self: Any, ctx: Any) -> dict[str, Any]:
    params = ctx.params
    if await self.adapter.find_one({"email": params["email"]}) is not None:
        raise _email_exists(params["email"])
    hashed = await self.passwords.hash(params["password"])
    entity = {"name": params["name"], "email": params["email"], "password": hashed, "role": "user", "isActive": True}
    try:
        user = await self.create_entity(ctx, entity)
    except EntityAlreadyExistsError:  # a concurrent registration won the unique index
        raise _email_exists(params["email"]) from None
    ctx.emit("user.registered", {"userId": str(user["_id"]), "name": user["name"], "email": user["email"]})
    return user


async def _login(self: Any, ctx: Any) -> dict[str, Any]:
    email = ctx.params["email"].strip().lower()
    user = await self.adapter.find_one({"email": email})
    ok = await self.passwords.check(ctx.params["password"], user["password"] if user else None)
    if not ok or user is None or user.get("isActive") is False:
        raise MoleculerClientError("Invalid email or password", 401, "INVALID_CREDENTIALS")
    token = self.tokens.issue(user)
    ctx.meta["token"] = token
    return {"message": "Login successful", "token": token, "user": await self.transform_documents(ctx, {}, user)}


async def _me(self: Any, ctx: Any) -> dict[str, Any]:
    caller = ctx.meta.get("user") or {}
    user = await self.adapter.find_by_id(caller.get("id"))
    if user is None:
        raise MoleculerClientError("User not found", 404, "NOT_FOUND")
    return await self.transform_documents(ctx, {}, user)


async def _resolve(self: Any, ctx: Any) -> dict[str, Any] | None:
    user = await self.adapter.find_by_id(ctx.params["id"])
    if user is None or user.get("isActive") is False:
        return None
    return {"id": str(user["_id"]), "email": user.get("email"), "role": user.get("role")}


async def _update(self: Any, ctx: Any) -> dict[str, Any]:
    caller = ctx.meta.get("user") or {}
    if ctx.params["id"] != caller.get("id"):
        raise MoleculerClientError("You can only update your own profile", 403, "FORBIDDEN", {"id": ctx.params["id"]})
    changes = {key: value for key, value in ctx.params.items() if key != "id" and value is not None}
    if not changes:
        return await _me(self, ctx)
    changes["updatedAt"] = now()
    try:
        return await self.update_entity(ctx, {"id": ctx.params["id"], "$set": changes})
    except EntityAlreadyExistsError:
        raise _email_exists(changes.get("email", "")) from None


async def ensure_admin(self: Any, email: str, password: str) -> bool:
    """Create the admin ``email`` with ``password`` unless a user with that e-mail exists; ``True`` if created."""
    if await self.adapter.find_one({"email": email}) is not None:
        return False
    entity = {"name": "Administrator", "email": email, "password": await self.passwords.hash(password),
              "role": "admin", "isActive": True}  # fmt: skip
    try:
        await self.create_entity(None, entity)
    except EntityAlreadyExistsError:  # another instance seeded it first
        return False
    return True


def schema(storage: Storage, tokens: Tokens, passwords: Passwords) -> dict[str, Any]:
    """The service schema on ``storage``, signing with ``tokens`` and hashing with ``passwords``."""
    adapter = storage.adapter("users", User)

    def created(self: Any) -> None:
        self.tokens, self.passwords = tokens, passwords

    return {
        "name": "user",
        "mixins": [DbMixin],
        "adapter": adapter,
        "settings": {"fields": PUBLIC_FIELDS, "entityValidator": User, "pageSize": 20},
        "created": created,
        "actions": {
            "create": {"params": UserCreate, "handler": _register},
            "login": {"params": Login, "handler": _login},
            "me": {"handler": _me},
            "update": {"params": UserUpdate, "handler": _update},
            "resolve": {"params": {"id": {"type": "string", "min": 1, "max": 64}}, "visibility": "public",
                        "cache": {"keys": ["id"]}, "handler": _resolve},
            "insert": False,
        },
        "methods": {"ensure_admin": ensure_admin},
    }
