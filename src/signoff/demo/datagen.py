"""Generated customer data for the demo models: field schemas and seeded generators.

Each business domain declares its input fields (numbers with a valid range, categories with
their allowed values) and a generator that draws records together with the true outcome from a
known process. ``shift`` moves the population (and, for fraud, the fraud pattern itself) so a
model trained before the shift loses accuracy after it: that is how the demo's drifting model
is made, with data rather than with made-up metric values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Field:
    """One input field of a scoring record."""

    name: str
    type: str  # "number" or "category"
    min: float = 0.0
    max: float = 0.0
    values: tuple[str, ...] = ()
    decimals: int = 2

    def to_config(self) -> dict[str, Any]:
        """The field as written to a model folder's config.json."""
        if self.type == "number":
            return {"name": self.name, "type": "number", "min": self.min, "max": self.max}
        return {"name": self.name, "type": "category", "values": list(self.values)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _clip(values: np.ndarray, field: Field) -> np.ndarray:
    return np.round(np.clip(values, field.min, field.max), field.decimals)


Generated = tuple[dict[str, np.ndarray], np.ndarray]


def _credit(rng: np.random.Generator, n: int, shift: float) -> Generated:
    f = FIELDS["credit"]
    age = _clip(rng.normal(42 + 3 * shift, 12, n), f[0])
    income = _clip(rng.lognormal(10.6 - 0.1 * shift, 0.5, n), f[1])
    debt_ratio = _clip(rng.gamma(2.0, 0.18 + 0.04 * shift, n), f[2])
    lines = _clip(rng.poisson(6, n).astype(float), f[3])
    late = _clip(rng.poisson(0.6 + 0.4 * shift, n).astype(float), f[4])
    employment = rng.choice(f[5].values, n, p=[0.62, 0.2, 0.08, 0.1])
    months = _clip(rng.exponential(60, n), f[6])
    z = (
        -3.8
        + 4.5 * debt_ratio
        - 0.00004 * (income - 40000)
        + 0.9 * late
        + 1.6 * (employment == "unemployed")
        + 0.5 * (employment == "self_employed")
        - 0.035 * (age - 40)
        - 0.006 * months
        + 0.08 * lines
    )
    target = (rng.random(n) < _sigmoid(z)).astype(float)
    cols = {
        "age": age,
        "income": income,
        "debt_ratio": debt_ratio,
        "credit_lines": lines,
        "late_payments_12m": late,
        "employment": employment,
        "months_at_address": months,
    }
    return cols, target


def _churn(rng: np.random.Generator, n: int, shift: float) -> Generated:
    f = FIELDS["churn"]
    tenure = _clip(rng.exponential(28, n), f[0])
    charges = _clip(rng.normal(62 + 5 * shift, 18, n), f[1])
    calls = _clip(rng.poisson(1.2, n).astype(float), f[2])
    contract = rng.choice(f[3].values, n, p=[0.55, 0.27, 0.18])
    usage = _clip(rng.gamma(3.0, 4.0, n), f[4])
    delay = _clip(rng.exponential(4, n), f[5])
    z = (
        -1.2
        - 0.06 * tenure
        + 0.035 * (charges - 60)
        + 0.8 * calls
        + 1.6 * (contract == "month_to_month")
        - 1.4 * (contract == "two_year")
        - 0.05 * usage
        + 0.1 * delay
    )
    target = (rng.random(n) < _sigmoid(z)).astype(float)
    cols = {
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls_90d": calls,
        "contract": contract,
        "data_usage_gb": usage,
        "payment_delay_days": delay,
    }
    return cols, target


def _fraud(rng: np.random.Generator, n: int, shift: float) -> Generated:
    f = FIELDS["fraud"]
    amount = _clip(rng.lognormal(3.8 + 0.5 * shift, 1.0, n), f[0])
    hour = _clip(rng.integers(0, 24, n).astype(float), f[1])
    merchant_risk = _clip(rng.beta(2 + 2 * shift, 6, n), f[2])
    distance = _clip(rng.exponential(25 + 40 * shift, n), f[3])
    card_present = rng.choice(f[4].values, n, p=[0.6 - 0.3 * shift, 0.4 + 0.3 * shift])
    txns = _clip(rng.poisson(2 + 2 * shift, n).astype(float), f[5])
    night = ((hour < 6) | (hour >= 23)).astype(float)
    before = (
        -7.6
        + 0.012 * amount
        + 8.0 * merchant_risk
        + 0.03 * distance
        + 2.0 * night
        + 1.8 * (card_present == "no")
        + 0.35 * txns
    )
    # after the shift fraudsters test stolen cards with many small, card-present purchases
    # at ordinary merchants, which the old pattern scores as safe
    after = (
        -2.0
        - 0.01 * amount
        - 4.0 * merchant_risk
        + 0.5 * txns
        + 1.5 * (card_present == "yes")
        - 0.01 * distance
    )
    z = (1 - shift) * before + shift * after
    target = (rng.random(n) < _sigmoid(z)).astype(float)
    cols = {
        "amount": amount,
        "hour": hour,
        "merchant_risk": merchant_risk,
        "distance_km": distance,
        "card_present": card_present,
        "txn_count_24h": txns,
    }
    return cols, target


def _demand(rng: np.random.Generator, n: int, shift: float) -> Generated:
    f = FIELDS["demand"]
    size = _clip(rng.uniform(400, 4000, n), f[0])
    price = _clip(rng.normal(4.5, 1.2, n), f[1])
    promo = rng.choice(f[2].values, n, p=[0.75, 0.25])
    week = _clip(rng.integers(1, 53, n).astype(float), f[3])
    temp = _clip(12 + 10 * np.sin((week - 14) / 52 * 2 * np.pi) + rng.normal(0, 4, n), f[4])
    lag = _clip(rng.normal(300, 80, n) + 0.05 * size, f[5])
    units = (
        40
        + 0.06 * size
        - 28 * price
        + 70 * (promo == "yes")
        + 2.5 * temp
        + 0.55 * lag
        + rng.normal(0, 25 + 10 * shift, n)
    )
    return (
        {
            "store_size_m2": size,
            "price": price,
            "promo": promo,
            "week_of_year": week,
            "temperature_c": temp,
            "last_week_units": lag,
        },
        np.round(np.maximum(units, 0), 1),
    )


def _complaint(rng: np.random.Generator, n: int, shift: float) -> Generated:
    f = FIELDS["complaint"]
    length = _clip(rng.lognormal(5.5, 0.7, n), f[0])
    channel = rng.choice(f[1].values, n, p=[0.45, 0.3, 0.1, 0.15])
    prior = _clip(rng.poisson(0.7, n).astype(float), f[2])
    tenure = _clip(rng.exponential(6, n), f[3])
    regulator = rng.choice(f[4].values, n, p=[0.92, 0.08])
    sentiment = _clip(rng.normal(-0.2 - 0.2 * shift, 0.45, n), f[5])
    z = (
        -2.0
        + 0.0012 * length
        + 0.5 * prior
        + 2.4 * (regulator == "yes")
        - 1.6 * sentiment
        + 0.6 * (channel == "social")
        + 0.02 * tenure
    )
    target = (rng.random(n) < _sigmoid(z)).astype(float)
    return (
        {
            "text_length": length,
            "channel": channel,
            "prior_complaints": prior,
            "customer_tenure_years": tenure,
            "mentions_regulator": regulator,
            "sentiment": sentiment,
        },
        target,
    )


FIELDS: dict[str, list[Field]] = {
    "credit": [
        Field("age", "number", 18, 100, decimals=0),
        Field("income", "number", 0, 1_000_000, decimals=0),
        Field("debt_ratio", "number", 0, 5, decimals=3),
        Field("credit_lines", "number", 0, 50, decimals=0),
        Field("late_payments_12m", "number", 0, 40, decimals=0),
        Field(
            "employment", "category", values=("salaried", "self_employed", "unemployed", "retired")
        ),
        Field("months_at_address", "number", 0, 900, decimals=0),
    ],
    "churn": [
        Field("tenure_months", "number", 0, 600, decimals=0),
        Field("monthly_charges", "number", 0, 500),
        Field("support_calls_90d", "number", 0, 100, decimals=0),
        Field("contract", "category", values=("month_to_month", "one_year", "two_year")),
        Field("data_usage_gb", "number", 0, 2000, decimals=1),
        Field("payment_delay_days", "number", 0, 365, decimals=0),
    ],
    "fraud": [
        Field("amount", "number", 0, 50_000),
        Field("hour", "number", 0, 23, decimals=0),
        Field("merchant_risk", "number", 0, 1, decimals=3),
        Field("distance_km", "number", 0, 20_000, decimals=1),
        Field("card_present", "category", values=("yes", "no")),
        Field("txn_count_24h", "number", 0, 500, decimals=0),
    ],
    "demand": [
        Field("store_size_m2", "number", 50, 20_000, decimals=0),
        Field("price", "number", 0.1, 100),
        Field("promo", "category", values=("no", "yes")),
        Field("week_of_year", "number", 1, 53, decimals=0),
        Field("temperature_c", "number", -40, 50, decimals=1),
        Field("last_week_units", "number", 0, 100_000, decimals=0),
    ],
    "complaint": [
        Field("text_length", "number", 1, 100_000, decimals=0),
        Field("channel", "category", values=("email", "phone", "branch", "social")),
        Field("prior_complaints", "number", 0, 100, decimals=0),
        Field("customer_tenure_years", "number", 0, 100, decimals=1),
        Field("mentions_regulator", "category", values=("no", "yes")),
        Field("sentiment", "number", -1, 1, decimals=3),
    ],
}

GENERATORS: dict[str, Callable[[np.random.Generator, int, float], Generated]] = {
    "credit": _credit,
    "churn": _churn,
    "fraud": _fraud,
    "demand": _demand,
    "complaint": _complaint,
}


def generate(
    domain: str, n: int, seed: int, shift: float = 0.0
) -> tuple[list[dict[str, Any]], list[float]]:
    """*n* records of *domain* (every field, plain Python values) and their true outcomes.

    The same (domain, n, seed, shift) always gives the same records.
    """
    rng = np.random.default_rng(seed)
    cols, target = GENERATORS[domain](rng, n, shift)
    fields = FIELDS[domain]
    records = []
    for i in range(n):
        record: dict[str, Any] = {}
        for field in fields:
            value = cols[field.name][i]
            if field.type == "number":
                value = float(value)
                if field.decimals == 0:
                    value = int(value)
            else:
                value = str(value)
            record[field.name] = value
        records.append(record)
    return records, [float(t) for t in target]
