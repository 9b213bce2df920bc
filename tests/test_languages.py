"""English and Canadian French for every page a person reads."""

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice.scheduling.models import AppointmentStatus
from tests.factories import AuthorizationFactory, TherapistFactory

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


def test_the_portal_speaks_canadian_french(client):
    therapist = TherapistFactory()
    authorization = AuthorizationFactory(client__primary_therapist=therapist, sessions_approved=1)
    client.force_login(therapist.user)
    expected = {
        "portal:home": "Dernière séance approuvée",
        "portal:clients": "Approuvées · utilisées · facturées · restantes",
        "portal:schedule": "Mon horaire",
        "portal:week": "Semaine précédente",
        "portal:rooms": "Réservations hebdomadaires",
    }
    for name, words in expected.items():
        page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
        assert words in page, name
    page = client.get(
        reverse("portal:client", args=[authorization.client_id]), HTTP_ACCEPT_LANGUAGE="fr-CA"
    ).content.decode()
    assert "Téléverser les documents de renouvellement" in page
