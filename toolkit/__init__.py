"""Contact-centre sourcing toolkit: forecast, staff, cost and steer an outsourced contact centre.

Modules (see DESIGN): ``io`` and ``schemas`` (data contracts), ``sample`` (embedded sample
data), ``forecast``, ``staffing``, ``costs``, ``kpi``, ``plots`` (house chart style),
``present`` (numbers, dates and tables for reviewers, one locale per page) and ``runner``
(plans -> papermill -> HTML reports).
"""

__version__ = "0.1.0"
