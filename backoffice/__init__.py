from backoffice.zone_data import zoneinfo_from_tzdata

# Before any zone is looked up: settings, Django and Huey all import this package first.
zoneinfo_from_tzdata()
