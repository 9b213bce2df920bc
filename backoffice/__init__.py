from backoffice.zone_data import use_tzdata_package

# Before any zone is looked up: settings, Django and Huey all import this package first.
use_tzdata_package()
