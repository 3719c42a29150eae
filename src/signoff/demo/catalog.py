"""The demo's models and versions: what each version changes, and the history it goes through.

Every version differs for real from the one before: other features, other hyper-parameters,
another algorithm or more (and newer) training data. ``fate`` is the lifecycle state the demo
history leaves the version in; ``published`` and the event dates are back-dated against the
demo's anchor date, 2026-11-01.

The ``[monitoring]`` table each model carries in its manifest (and so in
``models.monitoring_rules``) has these keys:

``metric``
    the monitoring metric computed from predictions joined with outcomes per window:
    ``"auc"`` for classifiers, ``"rmse"`` for regressors;
``baseline``
    the version's development value of that metric (on its validation split);
``tolerance``
    how far the live metric may fall below the baseline (for ``rmse``: rise above it)
    before a window counts as breaching;
``windows``
    how many consecutive breaching windows make the model stale;
``window_days``
    the length of one monitoring window in days;
``drift_threshold``
    the population-stability index (PSI) of the live score distribution against the
    development (validation) scores above which the model is stale;
``max_age_days``
    the most days since the live version was approved before it is stale;
``threshold`` (classifiers)
    the score at or above which the positive label is given (for accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ANCHOR = datetime(2026, 11, 1)


@dataclass(frozen=True)
class VersionSpec:
    """One version of a demo model."""

    number: int
    algorithm: str  # logistic | gbm | forest | ridge | gbr
    params: dict[str, Any]
    features: tuple[str, ...]
    data_seed: int
    n_train: int
    author: str
    published: datetime
    summary: str  # one line: what changed
    notes: str  # release notes body (Markdown)
    fate: str  # the state the demo history leaves it in
    events: dict[str, datetime] = field(default_factory=dict)  # lifecycle step -> when


@dataclass(frozen=True)
class ModelSpec:
    """A demo model: a business capability with its versions and consumers."""

    name: str
    title: str
    description: str
    owner: str
    business_unit: str
    risk_tier: str
    task: str  # classification | regression
    domain: str  # the generator in signoff.demo.datagen
    tags: tuple[str, ...]
    labels: tuple[str, str]  # (negative, positive) for classifiers
    threshold: float
    monitoring: dict[str, Any]
    outcome_lag_days: int
    run_size: int  # records per weekly scoring run
    versions: tuple[VersionSpec, ...]
    consumers: tuple[dict[str, Any], ...]
    drift_from: datetime | None = None  # when the population shifts (the stale model)


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


CLASSIFIER_RULES = {
    "metric": "auc",
    "tolerance": 0.05,
    "windows": 2,
    "window_days": 28,
    "drift_threshold": 0.25,
    "max_age_days": 540,
}
REGRESSOR_RULES = {
    "metric": "rmse",
    "tolerance": 8.0,
    "windows": 2,
    "window_days": 28,
    "drift_threshold": 0.25,
    "max_age_days": 540,
}
HOOK = "http://127.0.0.1:8765/hook"

CREDIT_ALL = (
    "age",
    "income",
    "debt_ratio",
    "credit_lines",
    "late_payments_12m",
    "employment",
    "months_at_address",
)

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="credit-risk",
        title="Retail credit default risk",
        description="Probability that a retail loan applicant defaults within 12 months; "
        "drives approve/refer decisions in the loan origination system.",
        owner="carol",
        business_unit="Retail Credit",
        risk_tier="high",
        task="classification",
        domain="credit",
        tags=("credit", "pd", "ifrs9"),
        labels=("repay", "default"),
        threshold=0.35,
        monitoring=CLASSIFIER_RULES,
        outcome_lag_days=56,
        run_size=30,
        versions=(
            VersionSpec(
                1,
                "logistic",
                {"C": 1.0},
                ("age", "income", "debt_ratio", "late_payments_12m"),
                101,
                1200,
                "alice",
                d("2025-01-15"),
                "First scorecard: logistic regression on four bureau fields.",
                "Replaces the manual underwriting grid for unsecured loans.",
                "retired",
                {
                    "submit": d("2025-01-17"),
                    "approve": d("2025-01-29"),
                    "ready": d("2025-02-03"),
                    "live": d("2025-02-10"),
                    "retire": d("2026-01-15"),
                },
            ),
            VersionSpec(
                2,
                "logistic",
                {"C": 0.5},
                CREDIT_ALL,
                102,
                1500,
                "alice",
                d("2025-09-01"),
                "Adds employment status, credit lines and time at address.",
                "Three new application fields; stronger regularisation (C=0.5).",
                "superseded",
                {
                    "submit": d("2025-09-03"),
                    "approve": d("2025-09-19"),
                    "ready": d("2025-09-24"),
                    "live": d("2025-10-01"),
                },
            ),
            VersionSpec(
                3,
                "gbm",
                {"n_estimators": 80, "max_depth": 3, "learning_rate": 0.08},
                CREDIT_ALL,
                103,
                2000,
                "alice",
                d("2026-06-20"),
                "Gradient boosting on all seven fields, 2,000 training applications.",
                "Non-linear effects of debt ratio and income; larger training window.",
                "live",
                {
                    "submit": d("2026-06-22"),
                    "approve": d("2026-07-10"),
                    "ready": d("2026-07-20"),
                    "live": d("2026-08-03"),
                },
            ),
            VersionSpec(
                4,
                "gbm",
                {"n_estimators": 120, "max_depth": 3, "learning_rate": 0.06},
                CREDIT_ALL,
                104,
                2400,
                "alice",
                d("2026-10-20"),
                "More trees, lower learning rate, refreshed data to September 2026.",
                "Candidate refresh on the newest applications.",
                "in_review",
                {"submit": d("2026-10-22")},
            ),
        ),
        consumers=(
            {
                "name": "loan-origination",
                "kind": "online",
                "contact": "lending@bank.example",
                "webhook_url": HOOK,
            },
            {
                "name": "ifrs9-provisioning",
                "kind": "batch",
                "contact": "finance-risk@bank.example",
                "webhook_url": None,
            },
        ),
    ),
    ModelSpec(
        name="customer-churn",
        title="Customer churn propensity",
        description="Likelihood that a subscriber cancels in the next 60 days; feeds the "
        "retention campaign selection.",
        owner="carol",
        business_unit="Marketing",
        risk_tier="medium",
        task="classification",
        domain="churn",
        tags=("churn", "retention", "crm"),
        labels=("stay", "churn"),
        threshold=0.5,
        monitoring=CLASSIFIER_RULES,
        outcome_lag_days=42,
        run_size=25,
        versions=(
            VersionSpec(
                1,
                "logistic",
                {"C": 1.0},
                ("tenure_months", "monthly_charges", "contract"),
                201,
                1200,
                "grace",
                d("2025-03-01"),
                "Baseline churn model on tenure, charges and contract type.",
                "First model for the retention team.",
                "superseded",
                {
                    "submit": d("2025-03-03"),
                    "approve": d("2025-03-18"),
                    "ready": d("2025-03-25"),
                    "live": d("2025-04-01"),
                },
            ),
            VersionSpec(
                2,
                "forest",
                {"n_estimators": 40, "max_depth": 6},
                (
                    "tenure_months",
                    "monthly_charges",
                    "support_calls_90d",
                    "contract",
                    "payment_delay_days",
                ),
                202,
                1500,
                "grace",
                d("2025-11-01"),
                "Random forest with support calls and payment delays.",
                "Adds service-quality signals.",
                "do_not_use",
                {
                    "submit": d("2025-11-03"),
                    "approve": d("2025-11-20"),
                    "ready": d("2025-11-25"),
                    "live": d("2025-12-01"),
                    "do_not_use": d("2026-06-15"),
                },
            ),
            VersionSpec(
                3,
                "gbm",
                {"n_estimators": 60, "max_depth": 3, "learning_rate": 0.1},
                (
                    "tenure_months",
                    "monthly_charges",
                    "support_calls_90d",
                    "contract",
                    "data_usage_gb",
                    "payment_delay_days",
                ),
                203,
                1800,
                "grace",
                d("2026-04-10"),
                "Gradient boosting with data usage; payment delay rebuilt from billing.",
                "Fixes the payment-delay feature, which leaked post-cancellation data.",
                "live",
                {
                    "submit": d("2026-04-12"),
                    "approve": d("2026-05-04"),
                    "ready": d("2026-05-12"),
                    "live": d("2026-05-20"),
                },
            ),
            VersionSpec(
                4,
                "gbm",
                {"n_estimators": 90, "max_depth": 2, "learning_rate": 0.1},
                (
                    "tenure_months",
                    "monthly_charges",
                    "support_calls_90d",
                    "contract",
                    "data_usage_gb",
                    "payment_delay_days",
                ),
                204,
                2200,
                "grace",
                d("2026-10-05"),
                "Shallower trees, more of them; six more months of data.",
                "Candidate with simpler interactions.",
                "approved",
                {"submit": d("2026-10-06"), "approve": d("2026-10-20")},
            ),
        ),
        consumers=(
            {
                "name": "retention-campaigns",
                "kind": "batch",
                "contact": "crm-ops@bank.example",
                "webhook_url": HOOK,
                "pinned": 2,
            },
            {
                "name": "call-centre-desktop",
                "kind": "online",
                "contact": "cc-tools@bank.example",
                "webhook_url": None,
            },
        ),
    ),
    ModelSpec(
        name="card-fraud",
        title="Card transaction fraud score",
        description="Scores card transactions for fraud; high scores are held for review.",
        owner="carol",
        business_unit="Payments",
        risk_tier="high",
        task="classification",
        domain="fraud",
        tags=("fraud", "cards", "real-time"),
        labels=("genuine", "fraud"),
        threshold=0.5,
        monitoring=CLASSIFIER_RULES,
        outcome_lag_days=14,
        run_size=40,
        drift_from=d("2026-08-16"),
        versions=(
            VersionSpec(
                1,
                "logistic",
                {"C": 1.0},
                ("amount", "merchant_risk", "card_present"),
                301,
                1500,
                "grace",
                d("2025-02-01"),
                "Logistic model on amount, merchant risk and card presence.",
                "Replaces the static amount rules.",
                "superseded",
                {
                    "submit": d("2025-02-03"),
                    "approve": d("2025-02-17"),
                    "ready": d("2025-02-24"),
                    "live": d("2025-03-01"),
                },
            ),
            VersionSpec(
                2,
                "gbm",
                {"n_estimators": 80, "max_depth": 3, "learning_rate": 0.1},
                ("amount", "hour", "merchant_risk", "distance_km", "card_present", "txn_count_24h"),
                302,
                2000,
                "grace",
                d("2025-12-01"),
                "Gradient boosting with time of day, distance and velocity.",
                "Adds behavioural features.",
                "live",
                {
                    "submit": d("2025-12-02"),
                    "approve": d("2025-12-18"),
                    "ready": d("2026-01-05"),
                    "live": d("2026-01-12"),
                },
            ),
            VersionSpec(
                3,
                "forest",
                {"n_estimators": 30, "max_depth": 4},
                ("amount", "hour", "merchant_risk", "card_present"),
                303,
                2000,
                "grace",
                d("2026-07-01"),
                "Small random forest without distance and velocity features.",
                "Attempt at a cheaper model for the edge scorer.",
                "rejected",
                {"submit": d("2026-07-02"), "reject": d("2026-07-20")},
            ),
            VersionSpec(
                4,
                "gbm",
                {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.08},
                ("amount", "hour", "merchant_risk", "distance_km", "card_present", "txn_count_24h"),
                304,
                2400,
                "grace",
                d("2026-09-15"),
                "Retrained on data including the August fraud wave.",
                "Retrain after monitoring showed the live model degrading.",
                "ready",
                {"submit": d("2026-09-16"), "approve": d("2026-10-09"), "ready": d("2026-10-25")},
            ),
        ),
        consumers=(
            {
                "name": "card-authorisation",
                "kind": "online",
                "contact": "payments-eng@bank.example",
                "webhook_url": HOOK,
            },
            {
                "name": "fraud-case-manager",
                "kind": "batch",
                "contact": "fraud-ops@bank.example",
                "webhook_url": None,
            },
        ),
    ),
    ModelSpec(
        name="demand-forecast",
        title="Weekly store demand forecast",
        description="Units sold next week per store and product line; drives replenishment.",
        owner="carol",
        business_unit="Supply Chain",
        risk_tier="medium",
        task="regression",
        domain="demand",
        tags=("forecast", "replenishment"),
        labels=("", ""),
        threshold=0.0,
        monitoring=REGRESSOR_RULES,
        outcome_lag_days=7,
        run_size=20,
        versions=(
            VersionSpec(
                1,
                "ridge",
                {"alpha": 1.0},
                ("store_size_m2", "price", "promo", "last_week_units"),
                401,
                1000,
                "alice",
                d("2025-05-01"),
                "Ridge regression on size, price, promotion and last week's units.",
                "First statistical forecast.",
                "superseded",
                {
                    "submit": d("2025-05-02"),
                    "approve": d("2025-05-20"),
                    "ready": d("2025-05-26"),
                    "live": d("2025-06-01"),
                },
            ),
            VersionSpec(
                2,
                "gbr",
                {"n_estimators": 80, "max_depth": 3, "learning_rate": 0.1},
                (
                    "store_size_m2",
                    "price",
                    "promo",
                    "week_of_year",
                    "temperature_c",
                    "last_week_units",
                ),
                402,
                1600,
                "alice",
                d("2026-03-01"),
                "Gradient boosting with season and temperature.",
                "Captures seasonality.",
                "live",
                {
                    "submit": d("2026-03-02"),
                    "approve": d("2026-03-20"),
                    "ready": d("2026-03-30"),
                    "live": d("2026-04-06"),
                },
            ),
            VersionSpec(
                3,
                "gbr",
                {"n_estimators": 140, "max_depth": 4, "learning_rate": 0.05},
                (
                    "store_size_m2",
                    "price",
                    "promo",
                    "week_of_year",
                    "temperature_c",
                    "last_week_units",
                ),
                403,
                2000,
                "alice",
                d("2026-10-28"),
                "Deeper trees, slower learning rate, more stores.",
                "Work in progress.",
                "draft",
                {},
            ),
        ),
        consumers=(
            {
                "name": "replenishment-engine",
                "kind": "batch",
                "contact": "supply-it@bank.example",
                "webhook_url": HOOK,
            },
        ),
    ),
    ModelSpec(
        name="complaint-triage",
        title="Complaint urgency triage",
        description="Flags customer complaints that need a senior handler within 24 hours.",
        owner="carol",
        business_unit="Customer Service",
        risk_tier="low",
        task="classification",
        domain="complaint",
        tags=("complaints", "triage", "ops"),
        labels=("routine", "urgent"),
        threshold=0.4,
        monitoring=CLASSIFIER_RULES,
        outcome_lag_days=21,
        run_size=20,
        versions=(
            VersionSpec(
                1,
                "logistic",
                {"C": 1.0},
                ("text_length", "channel", "prior_complaints", "mentions_regulator", "sentiment"),
                501,
                1000,
                "alice",
                d("2026-02-01"),
                "Logistic triage on channel, history, regulator mention and sentiment.",
                "First triage model.",
                "live",
                {
                    "submit": d("2026-02-02"),
                    "approve": d("2026-02-16"),
                    "ready": d("2026-02-23"),
                    "live": d("2026-03-02"),
                },
            ),
            VersionSpec(
                2,
                "forest",
                {"n_estimators": 25, "max_depth": 8},
                (
                    "text_length",
                    "channel",
                    "prior_complaints",
                    "customer_tenure_years",
                    "mentions_regulator",
                    "sentiment",
                ),
                502,
                1000,
                "alice",
                d("2026-09-10"),
                "Deep random forest with customer tenure.",
                "Tried a forest; overfits the small sample.",
                "rejected",
                {"submit": d("2026-09-11"), "reject": d("2026-09-25")},
            ),
            VersionSpec(
                3,
                "logistic",
                {"C": 0.3},
                (
                    "text_length",
                    "channel",
                    "prior_complaints",
                    "customer_tenure_years",
                    "mentions_regulator",
                    "sentiment",
                ),
                503,
                1400,
                "alice",
                d("2026-10-15"),
                "Back to logistic regression, with tenure and stronger regularisation.",
                "Draft for next quarter.",
                "draft",
                {},
            ),
        ),
        consumers=(
            {
                "name": "complaints-workbench",
                "kind": "online",
                "contact": "cs-tools@bank.example",
                "webhook_url": None,
            },
        ),
    ),
)

# The shipped example folder (examples/credit-risk): a fifth credit-risk candidate, so it
# publishes as the next version of the demo's credit-risk model as well as on its own.
EXAMPLE_VERSION = VersionSpec(
    5,
    "gbm",
    {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.07},
    CREDIT_ALL,
    105,
    2400,
    "alice",
    d("2026-11-01"),
    "Gradient boosting on all seven application fields, trained on 2,400 applications.",
    "Example model folder shipped with Signoff; copy it to start your own.",
    "draft",
    {},
)

ADMINISTRATOR = "frank"  # the demo's registry administrator, who builds it
USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("alice", "Alice Moreau (data scientist)", ("author",)),
    ("grace", "Grace Okafor (data scientist)", ("author",)),
    ("bob", "Bob Lindqvist (model validator)", ("validator",)),
    ("carol", "Carol Diaz (business owner)", ("business_owner", "viewer")),
    ("dave", "Dave Kim (release manager)", ("release_manager",)),
    ("erin", "Erin Walsh (internal audit)", ("auditor", "viewer")),
    (ADMINISTRATOR, "Frank Osei (registry administrator)", ("admin",)),
)


def model_spec(name: str) -> ModelSpec:
    """The demo model called *name*."""
    for spec in MODELS:
        if spec.name == name:
            return spec
    raise KeyError(name)
