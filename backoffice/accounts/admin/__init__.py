"""Accounts in the admin: staff users and roles, and the sign-in records."""

from backoffice.accounts.admin import sign_ins, users

__all__ = ["sign_ins", "users"]
