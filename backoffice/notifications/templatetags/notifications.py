"""The bell: the signed-in user's unread count (loaded with the user: no query of its own)
and the way to their notifications (`{% notification_bell "admin" %}` in the admin's header,
`"portal"` in the portal's)."""

from django import template

from backoffice.notifications.selectors import inbox_url, unread_count

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context, frame: str):
    request = context.get("request")
    user = getattr(request, "user", None)
    # Staff and therapists get notifications (the user is loaded with their therapist).
    if (
        user is None
        or not user.is_authenticated
        or not (user.is_staff or hasattr(user, "therapist"))
    ):
        return {"shown": False}
    return {
        "shown": True,
        "frame": frame,
        "count": unread_count(user=user),
        "url": inbox_url(user),
    }


@register.simple_tag(takes_context=True)
def notifications_unread(context) -> int:
    """The signed-in user's unread count (the bell's)."""
    return unread_count(user=context["request"].user)
