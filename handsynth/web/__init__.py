"""`handsynth serve`: a local web page to type, watch the pen write, and save a style of your own.

`create_app` builds the Starlette app from a loaded synthesis model and a styles folder; the
command line runs it on uvicorn. Needs the `web` extra: pip install "handsynth[web]".
"""

from handsynth.web.app import ServeLimits, create_app

__all__ = ["ServeLimits", "create_app"]
