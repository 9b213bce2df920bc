"""Field types shared by the domain apps."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class MoneyField(models.DecimalField):
    """An amount in Canadian dollars: Decimal, two places, never negative unless told."""

    def __init__(self, *args, allow_negative: bool = False, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        if not allow_negative:
            kwargs.setdefault("validators", [MinValueValidator(Decimal("0.00"))])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr-ca", _("French (Canada)")
