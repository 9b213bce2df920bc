"""English and Canadian French for every page a person reads."""

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice.scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db


def test_the_admin_speaks_canadian_french(admin_client):
    response = admin_client.get(
        reverse("admin:scheduling_appointment_changelist"), HTTP_ACCEPT_LANGUAGE="fr-CA"
    )
    page = response.content.decode()
    assert response.headers["Content-Language"] == "fr-ca"
    assert "Rendez-vous" in page
    assert "Tiers payeur" in page or "Tiers payeurs" in page


def test_domain_labels_have_french_translations():
    with translation.override("fr-ca"):
        assert str(AppointmentStatus.NO_SHOW.label) == "Absence sans préavis"
    with translation.override("en"):
        assert str(AppointmentStatus.NO_SHOW.label) == "No-show"
