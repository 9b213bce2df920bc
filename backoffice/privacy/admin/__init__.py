from backoffice.privacy.admin import breaches, requests

__all__ = ["breaches", "requests"]
