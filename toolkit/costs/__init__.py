"""Cost of a contact centre by location x engagement form, over the contract, with its risk.

One module per question, each building only on those above it:

- ``reference``   — which figures? Reference YAML, analyst overrides, validation, the value
  of a lost contact per queue, the assumptions table;
- ``portfolio``   — what runs today? The status quo (sites, shares, actual invoices) and
  partial moves from it, costed as options;
- ``workload``    — how much work? The staffing engine (planning basis) on the history and
  forecast: agent-hours, paid hours, FTE, peak seats, contacts per month of year;
- ``model``       — what does each option cost? ``build_model`` and the cost engine (explained
  in its docstring): monthly and yearly cost lines;
- ``finance``     — what is it worth over the contract? NPV, TCO, break-even, cost bridge;
- ``checks``      — does the model agree with the world? Labour share, wage floors,
  published ratios, current invoices;
- ``correlation`` — which uncertain drivers move together? The correlation matrix of the
  draws from the reference (labour markets, pegs, wages vs FX, quality tiers);
- ``service``     — what does a lost contact cost? The value of service (switchable): lost
  sales and saves of abandoned and repeat contacts per option;
- ``uncertainty`` — how sure are we? Monte Carlo, cumulative fan, tornado;
- ``decision``    — which option, and what would change it? Risk scores, decision matrix,
  recommendation, quality-gap scenario, output table.

Every public name is re-exported here: ``from toolkit import costs; costs.build_model(...)``.
"""

from toolkit.costs.checks import (
    benchmark_checks,
    hosted_full_cost,
    labour_share_check,
    margin_check,
    negative_margin_text,
    observed_prices,
    price_comparison,
    status_quo_reconciliation,
    wage_floor_check,
)
from toolkit.costs.correlation import (
    correlation_matrix,
    correlation_summary,
    correlation_table,
)
from toolkit.costs.decision import (
    CHECK_LABELS,
    CRITERIA,
    CRITERION_LABELS,
    LINE_LABELS,
    METHOD_LABELS,
    bases_sentence,
    bridge_sentence,
    cheapest_sentence,
    cost_weight_switches,
    decision_matrix,
    driver_figures,
    driver_label,
    fan_sentence,
    figure_sources,
    hardest_move_sentence,
    invoice_gap_sentence,
    leaving_table,
    location_name,
    margin_sentence,
    missed_checks,
    option_name,
    option_names,
    published_range,
    quality_gap_summary,
    ranking_sentence,
    ranking_table,
    recommendation,
    reconciliation_sentence,
    redundancy_sentences,
    report_headline,
    rests_on,
    risk_scores,
    scenarios_table,
    service_ranking,
    service_ranking_table,
    small_steps_grouped,
    timezone_overlap,
    weakest_sentence,
    what_would_change,
    with_quality_gap,
    write_table,
)
from toolkit.costs.finance import break_even_month, cost_bridge_steps, npv, tco
from toolkit.costs.model import (
    BILLING_BASES,
    CLAUSES,
    METHODS,
    SourcingModel,
    build_model,
    leaving_costs,
    leaving_people,
    market_markups,
    monthly_costs,
    monthly_workload,
    option_slice,
    price_index,
    scenario_costs,
)
from toolkit.costs.portfolio import (
    PORTFOLIO,
    STATUS_QUO,
    Leg,
    Portfolio,
    StatusQuo,
    build_portfolios,
    status_quo,
)
from toolkit.costs.reference import (
    FORMS,
    LABOUR_LINES,
    LINES,
    ONE_OFF_LINES,
    PAYROLL_LINES,
    ValueOfService,
    assumptions_table,
    build_service,
    load_reference,
    service_rates,
    validate_reference,
)
from toolkit.costs.service import service_costs, service_inputs, service_npv
from toolkit.costs.uncertainty import cumulative_fan, monte_carlo, tornado, tornado_inputs
from toolkit.costs.workload import (
    monthly_forecast_table,
    outlook_table,
    queue_service,
    read_monthly_forecast,
    staffing_profile,
)

__all__ = [
    # reference
    "LINES", "LABOUR_LINES", "PAYROLL_LINES", "ONE_OFF_LINES", "FORMS",
    "load_reference", "validate_reference", "assumptions_table",
    # workload
    "staffing_profile", "read_monthly_forecast", "monthly_forecast_table", "outlook_table",
    "queue_service",
    # model
    "BILLING_BASES", "METHODS", "SourcingModel", "build_model", "leaving_costs", "leaving_people", "market_markups",
    "monthly_costs", "monthly_workload", "scenario_costs", "option_slice",
    # portfolio
    "STATUS_QUO", "PORTFOLIO", "StatusQuo", "Leg", "Portfolio", "status_quo", "build_portfolios",
    # finance
    "npv", "break_even_month", "tco", "cost_bridge_steps",
    # checks
    "labour_share_check", "wage_floor_check", "benchmark_checks", "observed_prices",
    "status_quo_reconciliation", "hosted_full_cost", "margin_check", "price_comparison", "negative_margin_text", "CLAUSES", "price_index",
    # correlation, uncertainty
    "correlation_matrix", "correlation_table", "correlation_summary", "monte_carlo", "cumulative_fan", "tornado",
    "tornado_inputs",
    # decision
    "CRITERIA", "timezone_overlap", "risk_scores", "decision_matrix", "recommendation",
    "what_would_change", "cost_weight_switches", "with_quality_gap", "quality_gap_summary",
    "scenarios_table", "write_table", "service_ranking", "service_ranking_table",
    "option_name", "option_names",
    "CRITERION_LABELS", "LINE_LABELS", "CHECK_LABELS", "METHOD_LABELS", "report_headline",
    "published_range",
    "bases_sentence", "ranking_table", "ranking_sentence", "cheapest_sentence",
    "bridge_sentence", "fan_sentence", "margin_sentence", "leaving_table",
    "hardest_move_sentence", "location_name", "small_steps_grouped", "weakest_sentence",
    "reconciliation_sentence", "invoice_gap_sentence", "redundancy_sentences", "missed_checks",
    "driver_label", "driver_figures", "rests_on", "figure_sources",
    # value of service
    "ValueOfService", "build_service", "service_rates", "service_inputs", "service_costs",
    "service_npv",
]
