"""The executive summary: one page read from the tables the detailed reports write.

Nothing here recomputes a model. Each function takes a processed table (the next-month volume table
and interval staffing of notebooks 10 and 20, the sourcing scenarios of notebook 30, the KPI
scorecards and credits of notebook 40), picks the few figures a board needs and returns them
in a small result object whose ``sentence`` is written from those same figures: reverse the
data and the sentence says the opposite. A table that was not written gives a plain "not
available" sentence naming the file instead of a figure.

Numbers become text in the few ``fmt_*`` functions at the top, through ``toolkit.present``
(babel, by locale), like every other report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import config, names, present

# ---------------------------------------------------------------------------------------------
# Formatting: the one place numbers become text.


def fmt_number(value, locale: str, digits: int = 0) -> str:
    """A count or FTE for people: grouped thousands, ``digits`` decimals (NaN -> en dash)."""
    return present.number(value, locale, digits)


def fmt_percent(value, locale: str) -> str:
    """A share as a whole percentage (``54%`` / ``54 %`` as the locale writes it)."""
    return present.percent(value, locale, 0)


def fmt_money(value, locale: str, currency: str = "EUR") -> str:
    """Money as a board reads it: compact (``€16.9m``) from a million, else in whole units."""
    if present.is_missing(value):
        return present.MISSING
    if abs(float(value)) >= 1e6:
        return present.money(value, locale, currency, compact=True)
    return present.money(value, locale, currency, decimals=0)


def fmt_month(period, locale: str) -> str:
    """A month as words (``November 2026``)."""
    return present.month(period, locale)


# ---------------------------------------------------------------------------------------------
# Loading


class NotAvailable(FileNotFoundError):  # noqa: N818 - reads as the sentence it carries
    """A table the summary reads was not written; ``str()`` is the sentence the page shows."""

    def __init__(self, path, what: str):
        self.path, self.what = path, what
        super().__init__(f"not available: {config.shown_path(path)} was not written "
                         f"(the {what}; run its report first).")


def _read(path, what: str) -> pd.DataFrame:
    p = config.project_path(path)
    if not p.is_file():
        raise NotAvailable(p, what)
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)


def _read_outlook(path):
    """The monthly outlook with its sidecar (what its range is made of)."""
    from toolkit.forecast import read_forecast

    p = config.project_path(path)
    if not p.is_file():
        raise NotAvailable(p, "monthly volume outlook")
    return read_forecast(p)


def kpi_files(kpi_dir, period: str, kind: str, sites=None) -> list[Path]:
    """The KPI CSVs of one kind (``scorecard``, ``credits``) for ``period``.

    ``sites`` None: the all-providers file when notebook 40 wrote one, else every per-site
    file found. A list of sites: exactly their files (a missing one is ``NotAvailable``).
    """
    folder = config.project_path(kpi_dir)
    if sites is not None:
        paths = [folder / f"{kind}_{site}_{period}.csv" for site in sites]
        for p in paths:
            if not p.is_file():
                raise NotAvailable(p, f"KPI {kind} of {p.name.split('_')[1]}")
        return paths
    combined = folder / f"{kind}_all_{period}.csv"
    if combined.is_file():
        return [combined]
    paths = sorted(p for p in folder.glob(f"{kind}_*_{period}.csv") if p != combined)
    if not paths:
        raise NotAvailable(folder / f"{kind}_<provider>_{period}.csv",
                           "KPI scorecards" if kind == "scorecard" else f"KPI {kind}")
    return paths


def read_kpi(kpi_dir, period: str, kind: str, sites=None) -> pd.DataFrame:
    """Scorecards or credits of every provider for ``period``, one table (one row per site
    and KPI: a site written twice keeps its first file's rows)."""
    frames = [pd.read_csv(p) for p in kpi_files(kpi_dir, period, kind, sites)]
    table = pd.concat(frames, ignore_index=True)
    keys = [c for c in ("site", "month", "kpi") if c in table.columns]
    return table.drop_duplicates(keys, keep="first", ignore_index=True)


@dataclass
class Tables:
    """What the summary reads; ``missing`` maps a part to its "not available" sentence."""

    next_month: pd.DataFrame | None = None
    staffing: pd.DataFrame | None = None
    scenarios: pd.DataFrame | None = None
    scorecards: pd.DataFrame | None = None
    credits: pd.DataFrame | None = None
    sites: pd.DataFrame | None = None
    outlook: object | None = None  # the monthly outlook with its sidecar (ForecastResult)
    missing: dict[str, str] = field(default_factory=dict)


def load_tables(*, next_month_path, staffing_path, scenarios_path, kpi_dir, period: str,
                provider_sites=None, sites_path=None, outlook_path=None) -> Tables:
    """Every table of the period; a missing one is recorded, never fatal. ``sites_path``:
    the sites table the KPI report read (its engagement forms say who answers for a KPI);
    ``outlook_path``: the monthly volume outlook the sourcing report costs."""
    out = Tables()
    parts = {"next_month": lambda: _read(next_month_path, "volume forecast for next month"),
             "staffing": lambda: _read(staffing_path, "interval staffing requirement"),
             "scenarios": lambda: _read(scenarios_path, "sourcing scenarios"),
             "scorecards": lambda: read_kpi(kpi_dir, period, "scorecard", provider_sites),
             "credits": lambda: read_kpi(kpi_dir, period, "credits", provider_sites)}
    if sites_path is not None:
        parts["sites"] = lambda: _read(sites_path, "sites table the KPI reports read")
    if outlook_path is not None:
        parts["outlook"] = lambda: _read_outlook(outlook_path)
    for name, load in parts.items():
        try:
            setattr(out, name, load())
        except NotAvailable as exc:
            out.missing[name] = str(exc)
    return out


# ---------------------------------------------------------------------------------------------
# The sourcing decision


STATUS_QUO = ("status quo", "PORTFOLIO")


def option_label(location: str, form: str, ref: dict | None = None) -> str:
    """An option as every report names it (``Madagascar, full outsourcing``; the sourcing
    report's ``costs.option_name``), or ``today's mix``."""
    if (location, form) == STATUS_QUO:
        return "today's mix"
    if form == "PORTFOLIO":
        return f"the partial move '{location}'"
    if ref is None:
        from toolkit.costs.reference import load_reference
        ref = load_reference()
    return names.option_name(location, form, ref)


@dataclass(frozen=True)
class Decision:
    """The recommended option against the comparison (today's mix, else all in-house)."""

    option: str
    comparison: str
    npv_eur: float
    comparison_npv_eur: float
    years: int
    prob_beats: float
    keep: bool  # the recommendation is the comparison itself
    locale: str = "en_GB"
    #: where the option's modelled cost sits against the published ratios it misses ("below",
    #: "above", "" within them): the scenarios table's ``published_range``, as the sourcing
    #: report's caution reads it
    published_range: str = ""

    @property
    def caution(self) -> str:
        """The sourcing report's caution in one sentence, or "" when there is none."""
        if self.keep or not self.published_range:
            return ""
        return (f"Caution: its modelled cost is {self.published_range} the published range — "
                "get a local quote first.")

    @property
    def short(self) -> str:
        """The decision in fewer words, for a headline that also carries a caution and the
        providers' misses (the same figures as ``sentence``)."""
        lc = self.locale
        if self.keep or self.saving_eur == 0:
            return self.sentence
        npv = (f"({fmt_money(self.npv_eur, lc)} against {fmt_money(self.comparison_npv_eur, lc)}"
               f" NPV over {self.years} years)")
        if self.saving_eur > 0:
            return (f"Moving to {self.option} saves {fmt_percent(self.saving_pct, lc)} against "
                    f"{self.comparison} {npv}, cheaper in {fmt_percent(self.prob_beats, lc)} of "
                    "the simulations.")
        return (f"Moving to {self.option} costs {fmt_percent(-self.saving_pct, lc)} more than "
                f"{self.comparison} {npv} but scores best once risks are weighed.")

    @property
    def saving_eur(self) -> float:
        return self.comparison_npv_eur - self.npv_eur

    @property
    def saving_pct(self) -> float:
        return self.saving_eur / self.comparison_npv_eur if self.comparison_npv_eur else np.nan

    @property
    def sentence(self) -> str:
        """What to decide, in one sentence (direction and figures from this object)."""
        lc = self.locale
        npv = (f"{fmt_money(self.npv_eur, lc)} against {fmt_money(self.comparison_npv_eur, lc)} "
               f"in net present cost over the {self.years}-year contract (NPV)")
        odds = f"it is cheaper in {fmt_percent(self.prob_beats, lc)} of the simulations"
        if self.keep:
            return (f"Keep {self.comparison}: no option scores better once cost and risk are "
                    f"weighed ({fmt_money(self.npv_eur, lc)} in net present cost over the "
                    f"{self.years}-year contract, NPV).")
        if self.saving_eur > 0:
            return (f"Decide whether to move to {self.option}. It saves "
                    f"{fmt_percent(self.saving_pct, lc)} against {self.comparison}: {npv}; "
                    f"{odds}.")
        if self.saving_eur < 0:
            return (f"Decide whether to move to {self.option}. It costs "
                    f"{fmt_percent(-self.saving_pct, lc)} more than {self.comparison}: {npv}, "
                    f"but scores best once risks are weighed; {odds}.")
        return (f"Decide whether to move to {self.option}. It costs the same as "
                f"{self.comparison}: {npv}, and scores best once risks are weighed.")


def _comparison_key(scenarios: pd.DataFrame) -> tuple[str, str]:
    label = str(scenarios["baseline"].dropna().iloc[0])
    location, _, form = label.rpartition(" / ")
    return location, form


def _options(scenarios: pd.DataFrame) -> pd.DataFrame:
    """One row per option (contract year 1 carries the contract-wide columns too)."""
    return scenarios[scenarios["contract_year"] == 1].set_index(["location", "form"])


def decision(scenarios: pd.DataFrame, locale: str = "en_GB", ref: dict | None = None) -> Decision:
    """Rank 1 of the sourcing scenarios against the comparison they were measured against.

    Reads ``location, form, contract_year, rank, npv_eur, baseline, baseline_npv_eur,
    prob_beats_baseline, months``.
    """
    options = _options(scenarios)
    ranked = options.dropna(subset=["rank"]).sort_values("rank")
    if ranked.empty:
        raise ValueError("the sourcing scenarios rank no option (no feasible option was scored)")
    top_key = ranked.index[0]
    top = ranked.iloc[0]
    comp_key = _comparison_key(scenarios)
    where = top.get("published_range", "")
    return Decision(option=option_label(*top_key, ref=ref),
                    comparison=option_label(*comp_key, ref=ref)
                    if comp_key == STATUS_QUO else "running everything in-house",
                    npv_eur=float(top["npv_eur"]),
                    comparison_npv_eur=float(top["baseline_npv_eur"]),
                    years=int(top["months"]) // 12,
                    prob_beats=float(top["prob_beats_baseline"]),
                    keep=top_key == comp_key, locale=locale,
                    published_range=str(where) if isinstance(where, str) else "")


@dataclass(frozen=True)
class ComingMonths:
    """Cost and average FTE of the recommendation and the comparison, contract year by year."""

    table: pd.DataFrame  # option, role, contract_year, calendar_start, cost_eur, fte
    locale: str = "en_GB"

    def by_year(self):
        """The reviewer table: one row per option, cost (compact money) and average FTE of
        each contract year side by side (``present.Table``)."""
        lc = self.locale
        years = self.table.assign(year=self.table["calendar_start"].map(
            lambda m: "12 months from " + fmt_month(m, lc)))
        wide = years.pivot(index="option", columns="year", values=["cost_eur", "fte"])
        wide.columns = [f"{'Cost' if kind == 'cost_eur' else 'FTE (average)'}, {year}"
                        for kind, year in wide.columns]
        return present.table(
            wide.reset_index(), locale=lc, labels={"option": "Option"},
            units={c: ("money:compact" if c.startswith("Cost") else "number:0")
                   for c in wide.columns},
            empty="No contract years to show.")

    def _year(self, role: str, year: int = 1) -> pd.Series:
        t = self.table
        return t[(t["role"] == role) & (t["contract_year"] == year)].iloc[0]

    @property
    def sentence(self) -> str:
        lc = self.locale
        rec, comp = self._year("recommended"), self._year("comparison")
        start = pd.Period(str(rec["calendar_start"]), freq="M")
        window = f"{fmt_month(start, lc)} to {fmt_month(start + 11, lc)}"
        if rec["option"] == comp["option"]:
            return (f"Over the next 12 months ({window}) {comp['option']} costs "
                    f"{fmt_money(comp['cost_eur'], lc)} with {fmt_number(comp['fte'], lc)} FTE "
                    "on average.")
        diff = rec["cost_eur"] - comp["cost_eur"]
        verb = ("costs less than" if diff < 0 else "costs more than" if diff > 0
                else "costs the same as")
        fte = ("fewer" if rec["fte"] < comp["fte"] else "more" if rec["fte"] > comp["fte"]
               else "the same")
        return (f"Over the next 12 months ({window}), transition included, the recommendation "
                f"{verb} {comp['option']}: {fmt_money(rec['cost_eur'], lc)} against "
                f"{fmt_money(comp['cost_eur'], lc)}, with {fte} FTE on average "
                f"({fmt_number(rec['fte'], lc)} against {fmt_number(comp['fte'], lc)}: "
                "averages over the 12 months at each option's own sites and working time, "
                "where the staffing report sizes next month alone, in-house in France)."
                + self._jobs(rec))

    def _jobs(self, rec: pd.Series) -> str:
        """Whose jobs the recommendation touches in contract year 1 (from the sourcing
        report's leaving table): an FTE average hides that today's staff may all go."""
        gone, moved = rec.get("people_redundant", np.nan), rec.get("people_transferred", np.nan)
        if pd.isna(gone) or pd.isna(moved) or gone + moved <= 0:
            return ""
        lc = self.locale
        people = lambda n: present.count_phrase(round(n), "person", "people", locale=lc)  # noqa: E731
        text = " In contract year 1 the move makes "
        text += (f"{present.number(round(gone), lc)} of our own staff redundant" if gone > 0
                 else "no one redundant")
        text += (f" and {people(moved)} move to the provider with their work" if moved > 0
                 else ", with no one moving to the provider")
        return text + " (the sourcing report says at which sites)."


def coming_months(scenarios: pd.DataFrame, years: int = 2, locale: str = "en_GB",
                  ref: dict | None = None) -> ComingMonths:
    """Nominal cost (``total_eur``) and average ``fte`` of the first ``years`` contract years
    for the recommended option and the comparison (rows of the scenarios table)."""
    first = _options(scenarios)
    top_key = first.dropna(subset=["rank"]).sort_values("rank").index[0]
    comp_key = _comparison_key(scenarios)
    rows = []
    for role, key in (("comparison", comp_key), ("recommended", top_key)):
        part = scenarios[(scenarios["location"] == key[0]) & (scenarios["form"] == key[1])
                         & (scenarios["contract_year"] <= years)].sort_values("contract_year")
        label = (option_label(*key, ref=ref) if key == STATUS_QUO or role == "recommended"
                 else "running everything in-house")
        rows += [{"option": label, "role": role, "contract_year": int(r.contract_year),
                  "calendar_start": str(r.calendar_start), "cost_eur": float(r.total_eur),
                  "fte": float(r.fte),
                  "people_redundant": float(getattr(r, "people_redundant", np.nan)),
                  "people_transferred": float(getattr(r, "people_transferred", np.nan))}
                 for r in part.itertuples()]
    return ComingMonths(pd.DataFrame(rows), locale=locale)


# ---------------------------------------------------------------------------------------------
# Providers


STATUS_ORDER = ("green", "amber", "red", "no data")
#: Who answers for a scorecard row: the provider, or the company (its own agents at a
#: hosted-seats site, ``toolkit.kpi.company_owned``) — and how the provider table says so.
OURS = "our own agents (hosted seats)"


@dataclass(frozen=True)
class Providers:
    """KPI statuses and service credits of each provider site for the month, one row per site
    and who answers for the KPIs counted (``answers``: ``provider``, or ``company`` for the
    company's own agents at a hosted-seats site, whose misses are not the provider's)."""

    table: pd.DataFrame  # site, provider, answered_by, green, amber, red, no data, credit_...
    period: str
    locale: str = "en_GB"
    #: The month's scorecard rows with ``answers`` (the KPI names the sentences quote).
    card: pd.DataFrame | None = None
    #: Credits triggered before the period and still pending earn-back (EUR).
    earlier_pending_eur: float = 0.0

    def _rows(self, answers: str) -> pd.DataFrame:
        t = self.table
        return t[t["answers"] == answers] if "answers" in t.columns else (
            t if answers == "provider" else t.iloc[0:0])

    def _missed_names(self, site: str) -> str:
        c = self.card
        if c is None or "name" not in c.columns:
            return ""
        rows = c[(c["site"] == site) & (c["answers"] == "company") & (c["status"] == "red")]
        return ", ".join(str(n) for n in rows["name"])

    @property
    def sentence(self) -> str:
        lc = self.locale
        month = fmt_month(self.period, lc)
        theirs, ours = self._rows("provider"), self._rows("company")
        missed = theirs[(theirs["red"] > 0) | (theirs["no data"] > 0)]
        if missed.empty:
            status = (f"In {month} no provider missed a KPI it answers for" if not ours.empty
                      else f"In {month} no provider missed a contractual floor")
        else:
            names = ", ".join(f"{site} ({int(red)} missed"
                              + (f", {int(nodata)} without data" if nodata else "") + ")"
                              for site, red, nodata in zip(missed["site"], missed["red"],
                                                           missed["no data"], strict=True))
            status = (f"In {month} {len(missed)} of {len(theirs)} "
                      f"{'provider' if len(theirs) == 1 else 'providers'} had a KPI missed or "
                      f"without data: {names}")
        parts = [status]
        short = ours[(ours["red"] > 0) | (ours["no data"] > 0)]
        for site, provider, red, nodata in zip(short["site"], short["provider"], short["red"],
                                               short["no data"], strict=True):
            what = []
            if red:
                named = self._missed_names(site)
                what.append(f"missed {present.count_phrase(int(red), 'KPI', locale=lc)}"
                            + (f" ({named})" if named else ""))
            if nodata:
                what.append(f"sent no data for "
                            f"{present.count_phrase(int(nodata), 'KPI', locale=lc)}")
            parts.append(f"our own agents at {provider}'s hosted seats ({site}) "
                         + " and ".join(what))
        due, pending = theirs["credit_due_eur"].sum(), theirs["credit_pending_eur"].sum()
        parts.append(f"service credits of {fmt_money(due, lc)} are due" if due > 0
                     else "no service credit is due")
        if pending > 0:
            owed = theirs[theirs["credit_pending_eur"] > 0]["provider"].astype(str).unique()
            who = owed[0] if len(owed) == 1 else "the providers"
            parts.append(f"{fmt_money(pending, lc)} of credits triggered in {month} await "
                         f"earn-back ({who} can still win them back by meeting "
                         f"{'its' if len(owed) == 1 else 'their'} targets)")
        if self.earlier_pending_eur > 0:
            parts.append(f"{fmt_money(self.earlier_pending_eur, lc)} triggered before {month} "
                         "still awaits earn-back")
        return "; ".join(parts) + "."

    @property
    def attention(self) -> str:
        """Who missed a KPI or sent none this month, in one short sentence ("" when none):
        a provider for the KPIs it answers for, the company's own agents for theirs."""
        t = self.table
        missed = t[(t["red"] > 0) | (t["no data"] > 0)]
        if missed.empty:
            return ""
        kpis = lambda n: present.count_phrase(int(n), "KPI", locale=self.locale)  # noqa: E731
        parts = []
        answers = missed["answers"] if "answers" in missed.columns else ["provider"] * len(missed)
        providers = (missed["provider"] if "provider" in missed.columns
                     else missed["site"])
        for site, provider, red, nodata, who in zip(missed["site"], providers, missed["red"],
                                                    missed["no data"], answers, strict=True):
            what = ([f"missed {kpis(red)}"] if red else []) + (
                [f"sent no data for {kpis(nodata)}"] if nodata else [])
            # names, not site codes: a headline is read by people who never saw sites.csv
            own = str(provider) if isinstance(provider, str) and provider else str(site)
            name = f"our own agents at {own}" if who == "company" else own
            parts.append(f"{name} {' and '.join(what)}")
        return f"In {fmt_month(self.period, self.locale)} " + "; ".join(parts) + "."

    @property
    def attention_short(self) -> str:
        """``attention`` in as few words: how many KPIs were missed or sent no data, and at
        how many sites ("" when none) — for a headline with no room for names."""
        t = self.table
        short = t[(t["red"] > 0) | (t["no data"] > 0)]
        if short.empty:
            return ""
        n = int(short["red"].sum() + short["no data"].sum())
        return (f"In {fmt_month(self.period, self.locale)} "
                f"{present.count_phrase(n, 'KPI', locale=self.locale)} missed or without data "
                f"at {present.count_phrase(short['site'].nunique(), 'site', locale=self.locale)}"
                " (see below).")


def providers(scorecards: pd.DataFrame, credits: pd.DataFrame, period: str,
              locale: str = "en_GB", sites: pd.DataFrame | None = None) -> Providers:
    """Status counts per site (``site, provider, month, status`` of the scorecards; with
    ``objective, credit_allocation, name`` and ``sites`` — sites.csv, its engagement forms —
    the counts of a hosted-seats site are split between the provider's KPIs and the company's
    own agents', as the KPI report attributes them: ``toolkit.kpi.company_owned``) and the
    month's credits (``toolkit.kpi.credits_by_month`` of the credits table), which are the
    provider's: credits triggered in ``period`` and still pending, and those of earlier months
    still pending."""
    from toolkit.kpi import company_owned, credits_by_month

    card = scorecards[scorecards["month"].astype(str) == str(period)].copy()
    card["answers"] = np.where(company_owned(card, sites), "company", "provider")
    counts = (card.groupby(["site", "provider", "answers"])["status"].value_counts()
              .unstack(fill_value=0).reindex(columns=list(STATUS_ORDER), fill_value=0)
              .reset_index())
    # per site, the provider's row first, then the company's own agents' (hosted seats)
    counts = (counts.assign(_ours=counts["answers"] == "company")
              .sort_values(["site", "_ours"], ignore_index=True).drop(columns="_ours"))
    counts.insert(3, "answered_by", np.where(counts["answers"] == "company", OURS,
                                             counts["provider"].astype(str)))
    by_month = credits_by_month(credits)
    month = by_month[by_month["month"].astype(str) == str(period)]
    earlier = by_month[by_month["month"].astype(str) < str(period)]
    money = ["credit_due_eur", "credit_pending_eur", "waived_eur"]
    table = counts.merge(month[["site", *money]].assign(answers="provider"),
                         on=["site", "answers"], how="left")
    theirs = table["answers"] == "provider"
    table.loc[theirs, money] = table.loc[theirs, money].fillna(0.0)
    table.columns.name = None
    return Providers(table, str(period), locale, card=card.reset_index(drop=True),
                     earlier_pending_eur=float(earlier.loc[
                         earlier["site"].isin(table["site"]), "credit_pending_eur"].sum()))


# ---------------------------------------------------------------------------------------------
# Forecast and staffing


@dataclass(frozen=True)
class ForecastHeadline:
    """Calls expected next month (all queues) with the 80 % range, as the volume-forecast
    report's card states them (its ``next_month`` table): the change on a year earlier is per
    open day, since the two months need not have the same open days."""

    month: str
    calls: float
    lower_80: float
    upper_80: float
    open_days: int
    month_open_days: int
    change: float  # per open day against the same month a year earlier; NaN when unknown
    locale: str = "en_GB"

    @property
    def sentence(self) -> str:
        lc = self.locale
        text = (f"{fmt_month(self.month, lc)}: {fmt_number(round(self.calls, -2), lc)} calls "
                f"expected ({fmt_percent(0.8, lc)} range {fmt_number(round(self.lower_80, -2), lc)}"
                f" to {fmt_number(round(self.upper_80, -2), lc)})")
        if self.open_days < self.month_open_days:
            text += (f" over the {fmt_number(self.open_days, lc)} of its "
                     f"{fmt_number(self.month_open_days, lc)} open days the forecast covers")
        if np.isfinite(self.change):
            before = fmt_month(pd.Period(self.month) - 12, lc)
            if round(self.change, 3) == 0:
                text += f", as many per open day as in {before}"
            else:
                word = "more" if self.change > 0 else "fewer"
                text += (f", {present.percent(abs(self.change), lc, 1)} {word} calls per open "
                         f"day than in {before}")
        return text + "."


def forecast_headline(next_month: pd.DataFrame, period: str,
                      locale: str = "en_GB") -> ForecastHeadline:
    """The month after ``period`` from the volume forecast's next-month table (``month, queue,
    calls, lower_80, upper_80, open_days, month_open_days, change``; queue ``total``)."""
    month = pd.Period(str(period), freq="M") + 1
    total = next_month[next_month["queue"] == "total"] if "total" in set(next_month["queue"]) \
        else next_month
    row = total[total["month"].astype(str) == str(month)]
    if row.empty:
        raise ValueError(f"the volume forecast's next-month table has no row for {month}")
    r = row.iloc[0]
    change = float(r["change"]) if pd.notna(r["change"]) else np.nan
    return ForecastHeadline(str(month), float(r["calls"]), float(r["lower_80"]),
                            float(r["upper_80"]), int(r["open_days"]), int(r["month_open_days"]),
                            change, locale)


@dataclass(frozen=True)
class VolumeAhead:
    """The outlook's last 12 months (the end of the contract at the default 60 months), its
    80 % range and what widens it."""

    headline: str  # describe.outlook_headline, led by "The volume outlook expects"
    growth_range: str  # the assumed ± growth a year ("10%"), "" when none was added
    locale: str = "en_GB"

    @property
    def sentence(self) -> str:
        if not self.growth_range:
            return self.headline + "."
        return (f"{self.headline}. The range widens with the years because growth is assumed "
                f"uncertain by ±{self.growth_range} a year, the range the sourcing report's "
                "sensitivity chart moves volume growth by.")


def volume_ahead(outlook, locale: str = "en_GB") -> VolumeAhead:
    """The outlook's final year (``outlook.outlook_summary``) in the volume forecast report's
    own words (``describe.outlook_headline``), from the outlook with its sidecar."""
    from toolkit.forecast import describe
    from toolkit.outlook import outlook_summary

    frame = outlook.frame.assign(month=pd.PeriodIndex(outlook.frame["month"].astype(str),
                                                      freq="M"))
    return VolumeAhead(describe.outlook_headline(outlook_summary(frame), locale,
                                                 lead="The volume outlook expects"),
                       describe.growth_range_words(outlook.info, locale), locale)


@dataclass(frozen=True)
class StaffingPeak:
    """The busiest interval of the staffing month: agents on the phone across queues."""

    ds: pd.Timestamp
    agents: int
    locale: str = "en_GB"

    @property
    def sentence(self) -> str:
        from babel.dates import format_datetime

        when = format_datetime(self.ds.tz_localize(None).to_pydatetime(), "EEE d MMM HH:mm",
                               locale=present.names_locale(self.locale))
        return (f"The busiest half hour needs {fmt_number(self.agents, self.locale)} agents on "
                f"the phone, all queues together ({when}; the staffing report also gives the "
                "busiest queue alone).")


def staffing_peak(staffing: pd.DataFrame, locale: str = "en_GB") -> StaffingPeak:
    """Sum of ``agents`` over queues per ``ds``; the largest."""
    per = staffing.groupby("ds")["agents"].sum()
    return StaffingPeak(per.idxmax(), int(per.max()), locale)


# ---------------------------------------------------------------------------------------------
# The page's answer


def headline(choice: Decision | None, sites: Providers | None) -> tuple[str, str]:
    """The summary's answer and status: the decision, its caution when the sourcing report
    gives one, and who missed a KPI this month. "attention" when there is a caution or a
    missed KPI — the sentence then says which — else "ok"."""
    from toolkit.reportcard import MAX_CHARS

    text = choice.sentence if choice is not None else "The sourcing figures are not available."
    caution = choice.caution if choice is not None else ""
    service = sites.attention if sites is not None else ""
    joined = " ".join(part for part in (text, caution, service) if part)
    if len(joined) > MAX_CHARS and choice is not None:  # a headline is one short paragraph
        joined = " ".join(part for part in (choice.short, caution, service) if part)
    if len(joined) > MAX_CHARS and sites is not None:  # who, without the names
        joined = " ".join(part for part in (choice.short if choice is not None else text,
                                            caution, sites.attention_short) if part)
    return joined, ("attention" if caution or service else "ok")


# ---------------------------------------------------------------------------------------------
# Links to the detailed reports


def report_links(names: dict[str, str], sites, base: str = "") -> dict[str, str]:
    """Relative links to the period's sibling reports (``reports/<period>/<run>.html``).

    ``names`` maps a part to its run name as in the plan (``{site}`` is replaced per
    provider site for the KPI reports).
    """
    links = {}
    for part, name in names.items():
        if "{site}" in name:
            for site in sites:
                links[f"{part} {site}"] = f"{base}{_slug(name.replace('{site}', str(site)))}.html"
        else:
            links[part] = f"{base}{_slug(name)}.html"
    return links


def _slug(name: str) -> str:
    """The runner's file name for a run name (``toolkit.runner.RunSpec.slug``)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"


__all__ = ["ComingMonths", "Decision", "ForecastHeadline", "NotAvailable", "Providers",
           "StaffingPeak", "Tables", "coming_months", "decision", "fmt_money", "fmt_month",
           "fmt_number", "fmt_percent", "forecast_headline", "headline", "kpi_files",
           "load_tables", "option_label", "providers", "read_kpi", "report_links", "staffing_peak"]
