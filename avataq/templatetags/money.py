"""``{{ amount|money }}``: an amount in the active language's way of writing dollars."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from avataq.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(value: Decimal | None) -> str:
    if value is None or value == "":
        return ""
    return format_money(Decimal(value), get_language() or "en")
