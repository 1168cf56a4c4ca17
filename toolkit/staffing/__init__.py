"""Staffing: Erlang B / C / A, required agents, scheduled agents, FTE roll-up, risk and simulation.

One module per question (pyworkforce style); every name is re-exported here, so
``from toolkit import staffing; staffing.required_agents(...)`` works as before:

- ``erlang``: input checks, numerical kernels, ``erlang_b``, ``erlang_c``, ``erlang_a``
  (the conventions and numerics are in its docstring);
- ``requirements``: ``combine_shrinkage``, ``scheduled_agents``, ``required_agents``;
- ``fte``: ``fte_rollup``, ``aht_profile``, ``apply_aht_profile``;
- ``patience``: ``patience_estimates``, ``patience_by_queue``;
- ``risk``: ``forecast_distribution``, ``calls_quantile``, ``staff_to_quantile``,
  ``service_level_risk``;
- ``simulation``: ``simulate_intervals``, ``flag_formula_vs_simulation``;
- ``plan``: the notebook's steps (``load_forecast``, ``forecast_correlation``, ``plan_requirements``,
  ``simulation_checks``, ``service_curve``, ``model_gap``).
"""

# Public names, plus _interval_hours (toolkit.planning reads it).
from toolkit.staffing.erlang import (
    BINDING_ORDER,
    SL_DEFINITIONS,
    erlang_a,
    erlang_b,
    erlang_c,
)
from toolkit.staffing.fte import (
    _interval_hours,  # noqa: F401
    aht_profile,
    apply_aht_profile,
    fte_rollup,
)
from toolkit.staffing.patience import (
    PATIENCE_BASES,
    patience_by_queue,
    patience_estimates,
)
from toolkit.staffing.plan import (
    SIMULATION_SCENARIOS,
    forecast_correlation,
    load_forecast,
    model_gap,
    plan_requirements,
    service_curve,
    simulation_checks,
)
from toolkit.staffing.requirements import (
    combine_shrinkage,
    required_agents,
    scheduled_agents,
)
from toolkit.staffing.risk import (
    FORECAST_COLUMNS,
    calls_quantile,
    forecast_distribution,
    service_level_risk,
    staff_to_quantile,
)
from toolkit.staffing.simulation import (
    flag_formula_vs_simulation,
    simulate_intervals,
)

__all__ = [
    "BINDING_ORDER",
    "FORECAST_COLUMNS",
    "PATIENCE_BASES",
    "SIMULATION_SCENARIOS",
    "SL_DEFINITIONS",
    "aht_profile",
    "apply_aht_profile",
    "calls_quantile",
    "combine_shrinkage",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "flag_formula_vs_simulation",
    "forecast_correlation",
    "forecast_distribution",
    "fte_rollup",
    "load_forecast",
    "model_gap",
    "patience_by_queue",
    "patience_estimates",
    "plan_requirements",
    "required_agents",
    "scheduled_agents",
    "service_curve",
    "service_level_risk",
    "simulate_intervals",
    "simulation_checks",
    "staff_to_quantile",
]
