"""`{% load money %}` … `{{ amount|money }}`: documents.formatting.money in templates."""

from django import template

from backoffice.documents.formatting import money as money_text

register = template.Library()


@register.filter
def money(amount) -> str:
    return money_text(amount)
