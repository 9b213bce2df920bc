"""Accounts in the admin: staff users and roles, and the sign-in records."""

from backoffice.accounts.admin import sign_ins, two_factor, users

__all__ = ["sign_ins", "two_factor", "users"]
