"""Web layer: the forms of the login and user administration pages (SPEC §7, §8)."""

from __future__ import annotations

from msgspec import Struct


class LoginForm(Struct):
    username: str = ""
    password: str = ""
    next: str = "/office"


class NewUserForm(Struct):
    username: str = ""
    password: str = ""
    role: str = ""
    department: str = ""
    display_name: str = ""


class RoleForm(Struct):
    role: str = ""
    department: str = ""


class PasswordForm(Struct):
    password: str = ""
