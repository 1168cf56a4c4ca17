"""Interim step of the split into one module per question: ``costs.py`` moved whole to
``costs/model.py`` (so its history follows); every name, private ones included, is still
reachable as ``toolkit.costs.<name>`` until the next commit cuts the module up.
"""

from toolkit.costs import model as _model

globals().update({k: v for k, v in vars(_model).items() if not k.startswith("__")})
