"""Custom admin pages of scheduling: booking a series, removing a client from the Bad Fit
list."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.admin_base import CaseloadFormView, CaseloadObjectFormView
from backoffice.scheduling.admin.forms import (
    BOOKING_FIELDS,
    AppointmentSeriesAdminForm,
    BadFitRemovalForm,
)
from backoffice.scheduling.services import appointment_series_book, bad_fit_remove


class AppointmentSeriesBookView(CaseloadFormView):
    """Book a weekly or fortnightly series; conflicts are listed per occurrence first."""

    title = _("Book a series")
    permission_required = ("scheduling.add_appointment",)
    form_id = "book-series-form"
    submit_name = "_book"
    submit_label = _("Check and book the series")
    intro = _(
        "Every occurrence is checked for the therapist's and the room's other bookings and for "
        "the therapist's room reservation; nothing is saved unless all of them can be booked."
    )

    def get_form_class(self):
        return self.model_admin.get_form(
            self.request,
            None,
            change=False,
            form=AppointmentSeriesAdminForm,
            fields=BOOKING_FIELDS,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        result = self.model_admin.run_service(  # refused: a booking made meanwhile
            self.request,
            appointment_series_book,
            form=form,
            done=lambda result: (
                ngettext(
                    "Series #%(pk)s booked: %(count)d appointment.",
                    "Series #%(pk)s booked: %(count)d appointments.",
                    len(result.appointments),
                )
                % {"pk": result.series.pk, "count": len(result.appointments)}
            ),
            frequency=data["frequency"],
            occurrence_count=data.get("occurrence_count"),
            repeat_until=data.get("repeat_until"),
            **form.booking(),
            by=self.request.user,
        )
        if result is None:
            return self.form_invalid(form)
        return redirect("admin:scheduling_appointmentseries_change", result.series.pk)


class BadFitRemoveView(CaseloadObjectFormView):
    """Take a client off the Bad Fit list, with the reason staff give; an entry already
    removed goes back with a warning."""

    form_class = BadFitRemovalForm
    permission_required = ("scheduling.change_badfitentry",)

    def get_queryset(self):
        return super().get_queryset().select_related("client")

    @property
    def title(self):
        return _("Remove %(client)s from the Bad Fit list") % {"client": self.object.client}

    def get_intro(self):
        return _("Reason on the list: %(reason)s.") % {"reason": self.object.get_reason_display()}

    def done_url(self):
        return reverse("admin:scheduling_badfitentry_changelist")

    def already_done(self):
        if not self.object.resolved_at:
            return ""
        return _("%(client)s was already removed from the list.") % {"client": self.object.client}

    def form_valid(self, form):
        self.model_admin.run_service(  # refused: removed meanwhile by someone else
            self.request,
            bad_fit_remove,
            done=_("%(client)s removed from the Bad Fit list.") % {"client": self.object.client},
            entry=self.object,
            by=self.request.user,
            note=form.cleaned_data["note"],
        )
        return redirect(self.get_success_url())
