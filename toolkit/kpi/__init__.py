"""KPI tracking: objectives -> indicators -> targets; scorecards, SLA credits, control charts.

The flow of the monthly report, one module per question:

- ``definitions`` — what does each KPI mean? ``load_catalogue``; ``monthly_kpis`` from
  interval data, provider reports and hosted seats' platform reports (ratios as sums of
  numerators over sums of denominators, never averages of ratios);
- ``contract``    — what did the provider commit to? ``load_contract``, thresholds and the
  RAG rule (``rag_status``);
- ``scorecard``   — how did the month go? Status, deltas, pooled 12-month average, trend, rank;
- ``trend``       — is it getting better or worse? Mann–Kendall / seasonal Kendall, Sen's slope;
- ``forms``       — what fits the engagement form? The company's own costs for hosted
  seats;
- ``credits``     — what does the contract give back? At-risk amount, trigger, allocation,
  caps, earn-back;
- ``quality``     — can we trust the provider's figures? Constant, rounded, impossible;
- ``control``     — which months are a real change, not noise? XmR charts and signals;
- ``audit``       — did the provider bill the hours its traffic needed? Right-sizing audit;
- ``simulator``   — before signing: how often would an SLA breach, what would it cost?
- ``report``      — numbers, tables and sentences for people; CSV files.

Every public name is re-exported here: ``from toolkit import kpi; kpi.scorecard(...)``.
"""

from toolkit.config import REFERENCE
from toolkit.kpi.audit import (
    AUDIT_COLUMNS,
    audit_chart,
    audit_findings,
    audit_settings,
    audit_title,
    right_sizing,
)
from toolkit.kpi.contract import (
    check_contract_sites,
    contract_table,
    load_contract,
    rag_status,
    select_sites,
)
from toolkit.kpi.control import (
    ControlSettings,
    chart_finding,
    control_chart,
    control_chart_specs,
    control_limits,
    control_settings,
    control_signals,
    kpi_series,
    phase_of_months,
    special_causes,
    xmr,
)
from toolkit.kpi.credits import credits_by_month, invoices, service_credits
from toolkit.kpi.definitions import (
    _LONG_COLUMNS,
    _PERIOD,
    CATALOGUE_PATH,
    DIRECTIONS,
    INTERVAL_COLUMNS,
    INTERVAL_FORMULAS,
    PLATFORM_COLUMNS,
    REPORT_COLUMNS,
    SOURCES,
    STANDARD,
    STATUS_POINTS,
    STATUSES,
    UNITS,
    catalogue_table,
    check_period_has_data,
    interval_kpis,
    load_catalogue,
    missing_report_months,
    month_range,
    monthly_kpis,
    parse_period,
    platform_kpis,
    pooling_weights,
    read_platform_reports,
    report_kpis,
    require_report_months,
    trailing_months,
)
from toolkit.kpi.forms import own_cost_per_hour, own_costs, with_own_costs
from toolkit.kpi.quality import (
    QualitySettings,
    data_quality_flags,
    flag_scorecard,
    quality_settings,
)
from toolkit.kpi.report import (
    STAFFING_KPIS,
    amber_text,
    audit_table,
    check_locale,
    company_owned,
    credits_sentence,
    credits_table,
    definitions_table,
    failed_credits_table,
    flags_table,
    format_money,
    format_value,
    gaps_table,
    heatmap_title,
    hosted_sites,
    objective_names,
    objectives_table,
    objectives_title,
    plain_rule,
    plain_specs,
    report_headline,
    scorecard_display,
    signals_display,
    signals_sentence,
    simulation_sentence,
    simulation_table,
    sl_heatmap_table,
    staffing_note,
    status_text,
    style_scorecard,
    summary_text,
    target_text,
    write_credits,
    write_csv,
    write_scorecard,
)
from toolkit.kpi.scorecard import SCORECARD_COLUMNS, contracted_kpis, objective_summary, scorecard
from toolkit.kpi.simulator import (
    SimulationResult,
    simulate_candidates,
    simulate_contract,
    simulation_chart,
    simulator_settings,
    volume_cv_from_outlook,
    volume_spread,
)
from toolkit.kpi.trend import mann_kendall, monthly_trend, seasonal_kendall, trend_settings

__all__ = [
    "REFERENCE", "_LONG_COLUMNS", "_PERIOD",
    # definitions
    "pooling_weights", "CATALOGUE_PATH", "DIRECTIONS", "SOURCES", "UNITS", "STATUSES", "STATUS_POINTS",
    "STANDARD", "INTERVAL_COLUMNS", "REPORT_COLUMNS", "INTERVAL_FORMULAS", "load_catalogue",
    "catalogue_table", "parse_period", "check_period_has_data", "month_range",
    "trailing_months", "interval_kpis", "report_kpis", "monthly_kpis", "missing_report_months",
    "require_report_months", "PLATFORM_COLUMNS", "read_platform_reports", "platform_kpis",
    # contract
    "load_contract", "contract_table", "rag_status", "check_contract_sites", "select_sites",
    # scorecard
    "SCORECARD_COLUMNS", "contracted_kpis", "scorecard", "objective_summary",
    "mann_kendall", "seasonal_kendall", "monthly_trend", "trend_settings",
    # credits
    "invoices", "service_credits", "credits_by_month",
    # control
    "xmr", "special_causes", "kpi_series", "control_chart_specs", "ControlSettings",
    "control_settings", "control_limits", "control_chart", "control_signals", "chart_finding",
    "phase_of_months",
    # forms
    "own_cost_per_hour", "own_costs", "with_own_costs",
    # quality
    "QualitySettings", "quality_settings", "data_quality_flags", "flag_scorecard",
    # audit
    "AUDIT_COLUMNS", "right_sizing", "audit_findings", "audit_title", "audit_chart",
    "audit_settings",
    # simulator
    "SimulationResult", "simulate_contract", "simulate_candidates", "simulation_chart", "volume_cv_from_outlook",
    "simulator_settings", "volume_spread",
    # report
    "sl_heatmap_table", "heatmap_title", "check_locale", "format_value", "format_money",
    "target_text", "amber_text", "scorecard_display", "style_scorecard", "summary_text",
    "write_csv", "write_scorecard", "write_credits", "signals_display", "status_text",
    "objective_names", "company_owned", "hosted_sites", "staffing_note", "report_headline", "credits_sentence",
    "credits_table", "failed_credits_table", "plain_rule", "plain_specs", "signals_sentence",
    "flags_table", "gaps_table", "definitions_table", "audit_table", "simulation_table", "simulation_sentence",
    "objectives_table", "objectives_title", "STAFFING_KPIS",
]
