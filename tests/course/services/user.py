"""Post 11's ``services/user.service.js`` ported line by line: register with a bcrypt hash, login with a JWT."""

import os

import bcrypt
import jwt

from adapters import MemoryAdapter
from broker.errors import MoleculerClientError
from dbmixin import DbMixin

JWT_SECRET = os.environ.get("JWT_SECRET", "your-secret-key-of-at-least-32-bytes")


def sanitize_user(self, user):
    return {key: value for key, value in user.items() if key != "password"}


async def create(self, ctx):
    exists = await self.adapter.find_one({"email": ctx.params["email"]})
    if exists:
        raise MoleculerClientError("Email already registered", 422, "EMAIL_EXISTS")
    hashed = bcrypt.hashpw(ctx.params["password"].encode(), bcrypt.gensalt(rounds=4)).decode()
    user = await self.adapter.insert({
        "name": ctx.params["name"],
        "email": ctx.params["email"],
        "password": hashed,
        "role": ctx.params.get("role") or "user",
    })
    return self.sanitize_user(user)


async def login(self, ctx):
    user = await self.adapter.find_one({"email": ctx.params["email"]})
    if not user or not bcrypt.checkpw(ctx.params["password"].encode(), user["password"].encode()):
        raise MoleculerClientError("Invalid email or password", 401, "INVALID_CREDENTIALS")
    token = jwt.encode({"id": str(user["_id"]), "email": user["email"], "role": user["role"]}, JWT_SECRET)
    ctx.meta["token"] = token
    return {"message": "Login successful", "user": self.sanitize_user(user)}


async def me(self, ctx):
    user = await self.adapter.find_by_id(ctx.meta["user"]["id"])
    if not user:
        raise MoleculerClientError("User not found", 404, "NOT_FOUND")
    return self.sanitize_user(user)


schema = {
    "name": "user",
    "mixins": [DbMixin],
    "adapter": MemoryAdapter(),  # one instance for every broker made from this module, as in the course
    "settings": {
        "fields": ["_id", "name", "email", "role", "isActive", "createdAt"],
        "entityValidator": {
            "name": {"type": "string", "min": 2},
            "email": "email",
            "password": {"type": "string", "min": 6},
            "role": {"type": "string", "optional": True},
        },
    },
    "actions": {
        "create": {
            "rest": {"method": "POST", "path": "/"},
            "params": {
                "name": {"type": "string", "min": 2},
                "email": "email",
                "password": {"type": "string", "min": 6},
                "role": {"type": "string", "optional": True},
            },
            "handler": create,
        },
        "login": {
            "rest": {"method": "POST", "path": "/login"},
            "params": {"email": "email", "password": "string"},
            "handler": login,
        },
        "me": {"rest": {"method": "GET", "path": "/me"}, "handler": me},
    },
    "methods": {"sanitize_user": sanitize_user},
}
