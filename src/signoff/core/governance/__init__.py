"""Governance: the lifecycle of a version and the rules that move it.

States and transitions, the two sign-off gates and who may act at each, the approval policy per
risk tier, people and their roles, proving identity again at signing, deployment checks as
evidence, and going live atomically. The read models the screens show are in ``approvals``.
"""
