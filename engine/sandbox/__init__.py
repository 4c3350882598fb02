"""Running untrusted Python for `code` steps, behind one small interface (`Sandbox`).

    sandbox = default_sandbox()
    value = await sandbox.run(Program(source, inputs, Limits(timeout=10)))

The default is bubblewrap (every namespace unshared, a read-only minimal root, rlimits, a
wall-clock timeout). Where this machine cannot sandbox (no user namespaces, no bwrap), code
steps are refused with the reason, unless the operator sets `LOOM_CODE_SANDBOX=unsandboxed`,
which runs them in a plain subprocess with the same limits but no isolation.
"""

from __future__ import annotations

import os

from .base import Limits, Program, Sandbox

SANDBOX_VARIABLE = "LOOM_CODE_SANDBOX"


def default_sandbox() -> Sandbox:
    """The sandbox `LOOM_CODE_SANDBOX` names: `bubblewrap` (the default) or `unsandboxed`.
    Cheap: nothing is probed until the first program runs."""
    mode = (os.environ.get(SANDBOX_VARIABLE) or "bubblewrap").strip().lower()
    if mode == "unsandboxed":
        from .unsandboxed import UnsandboxedSubprocess

        return UnsandboxedSubprocess()
    if mode != "bubblewrap":
        raise ValueError(f"{SANDBOX_VARIABLE} must be bubblewrap or unsandboxed, not {mode!r}")
    from .bubblewrap import Bubblewrap

    return Bubblewrap()


__all__ = ["SANDBOX_VARIABLE", "Limits", "Program", "Sandbox", "default_sandbox"]
