"""Migration planner: accepted fixes and design decisions -> phased, reversible, lock-safe steps."""

from studio.migrate.plan import PHASES, Plan, Step, build_plan

__all__ = ["PHASES", "Plan", "Step", "build_plan"]
