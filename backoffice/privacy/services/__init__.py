from backoffice.privacy.services.export import client_export_filename, client_export_zip
from backoffice.privacy.services.requests import (
    breach_save,
    client_export_record,
    privacy_request_record,
    privacy_request_save,
)

__all__ = [
    "breach_save",
    "client_export_filename",
    "client_export_record",
    "client_export_zip",
    "privacy_request_record",
    "privacy_request_save",
]
