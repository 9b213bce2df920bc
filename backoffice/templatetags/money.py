"""`{% load money %}` … `{{ amount|money }}`: backoffice.money.money in templates."""

from django import template

from backoffice.money import money as money_text

register = template.Library()


@register.filter
def money(amount) -> str:
    return money_text(amount)
