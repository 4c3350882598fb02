"""The CEL extension module, loaded without its package's command-line interface.

`import cel` also imports `cel.cli` (typer, rich, prompt_toolkit: about 100 ms), which
would spend a fifth of `loom validate`'s start-up budget on code we never call. The
compiled extension `cel.cel` holds everything we use, so we load it directly and
register it under its real name; a later `import cel` then reuses it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    if "cel.cel" in sys.modules:
        return sys.modules["cel.cel"]
    spec = importlib.util.find_spec("cel")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = Path(folder) / f"cel{suffix}"
            if candidate.exists():
                loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(candidate))
                module_spec = importlib.util.spec_from_loader("cel.cel", loader)
                assert module_spec is not None  # a loader always makes a spec
                module = importlib.util.module_from_spec(module_spec)
                sys.modules["cel.cel"] = module
                loader.exec_module(module)
                return module
    import cel  # a layout we do not know: pay for the CLI import rather than fail

    return cel


cel = _load()
