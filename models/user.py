"""The user entity (post 11's ``models/user.model.js``) and its variants: what is stored, what register and
``PUT /api/user/:id`` accept, what login accepts. ``password`` is the bcrypt hash in storage; it is never in a
response (the service's ``fields`` leave it out)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .fields import Active, Email, Name, Password, PasswordHash, Role, now, refuse_null

__all__ = ["Login", "User", "UserCreate", "UserUpdate"]


class User(BaseModel):
    """A stored user: the service's ``entityValidator`` and the SQL table's columns (``email`` unique)."""

    name: Name
    email: Email
    password: PasswordHash
    role: Role = "user"
    isActive: Active = True
    createdAt: datetime = Field(default_factory=now)
    updatedAt: datetime | None = None


class UserCreate(BaseModel):
    """``POST /api/public/register``: name, email, password, nothing else (``role`` is a 422: no mass assignment)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    email: Email
    password: Password


class UserUpdate(BaseModel):
    """``PUT /api/user/:id``: the profile fields a user may change; ``role``, ``password``, ``_id``... are a 422, and
    so is an explicit ``null``."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    name: Name | None = None
    email: Email | None = None
    _no_null = field_validator("*", mode="before")(refuse_null)


class Login(BaseModel):
    """``POST /api/public/login``."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1000)
