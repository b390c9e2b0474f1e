"""Money is Decimal with two places, rounded half-up: this is the one place that says so."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """``value`` rounded half-up to the cent (never from a float)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


NBSP = "\u00a0"


def format_money(value: Decimal, language: str = "en") -> str:
    """Dollars as people read them in ``language``: ``$1,234.56`` in English,
    ``1 234,56 $`` in French (no-break spaces, so an amount never wraps)."""
    amount = money(value)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):,.2f}".split(".")
    if language.startswith("fr"):
        return f"{sign}{whole.replace(',', NBSP)},{cents}{NBSP}$"
    return f"{sign}${whole}.{cents}"
