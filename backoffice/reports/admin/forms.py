"""The report pickers: a therapist or a room and a week; a period."""

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _
from unfold.widgets import INPUT_CLASSES, SELECT_CLASSES

from backoffice.caseload.models import Therapist
from backoffice.reports.selectors import last_full_month
from backoffice.scheduling.models import Appointment, Room

DATE_ATTRS = {"type": "date", "class": " ".join(INPUT_CLASSES)}
# A report over more than this is a different question (and a long page).
LONGEST_PERIOD = timedelta(days=366)


class AutocompleteMedia:
    extra = "" if settings.DEBUG else ".min"
    js = (
        f"admin/js/vendor/jquery/jquery{extra}.js",
        "admin/js/vendor/select2/select2.full.js",
        "admin/js/jquery.init.js",
        "unfold/js/select2.init.js",
    )
    css = {"screen": ("admin/css/vendor/select2/select2.css", "admin/css/autocomplete.css")}


class IdAutocompleteSelect(AutocompleteSelect):
    """The admin's search box for a choice given by id in the URL: a value that is no id is
    shown as no choice (the field says it is not valid) instead of failing the page."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if str(v).isdigit()], attr)


class WeekForm(forms.Form):
    therapist = forms.ModelChoiceField(
        label=_("Therapist"),
        queryset=Therapist.objects.all(),
        required=False,
        # The admin's therapist search: no list of every therapist in the page.
        widget=IdAutocompleteSelect(
            Appointment._meta.get_field("therapist"),
            admin.site,
            attrs={"class": "unfold-filter-autocomplete"},
        ),
    )
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.select_related("site"),
        required=False,
        widget=forms.Select(attrs={"class": " ".join(SELECT_CLASSES)}),
    )
    week = forms.DateField(
        label=_("Week of"), required=False, widget=forms.DateInput(attrs=DATE_ATTRS)
    )

    Media = AutocompleteMedia

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("therapist") and cleaned.get("room"):
            raise forms.ValidationError(_("Choose a therapist or a room, not both."))
        return cleaned


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs=DATE_ATTRS))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs=DATE_ATTRS))

    def __init__(self, data=None, *, today: date | None = None):
        first, last = last_full_month(today)
        if data is not None and not any(data.get(name) for name in ("date_from", "date_to")):
            data = None
        super().__init__(data, initial={"date_from": first, "date_to": last})

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                raise forms.ValidationError(_("The period ends before it starts."))
            if date_to - date_from > LONGEST_PERIOD:
                raise forms.ValidationError(_("Choose a period of at most a year."))
        return cleaned

    def period(self) -> tuple[date, date] | None:
        """The chosen period, the default one when nothing was chosen, None when invalid."""
        if not self.is_bound:
            return self.initial["date_from"], self.initial["date_to"]
        if self.is_valid():
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return None
