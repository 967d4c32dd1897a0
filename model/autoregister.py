"""Register the `vn-gov-ner` transformers pipeline when transformers' pipelines are imported.

`import model` must be enough for `pipeline("vn-gov-ner", model=folder)`, but importing
`transformers.pipelines` takes about 5 s (torch included), which the text and corpus tools
that also import `model` must not pay. So `import model` only puts this small finder on
`sys.meta_path`: registration runs right after `transformers.pipelines` is imported, by
anyone and in any order (at once if it already was).
"""
from __future__ import annotations

import importlib.abc
import sys
import warnings

TARGET = "transformers.pipelines"


def register_now() -> None:
    try:
        # registers at the end of its import; if it is importing right now (it imports
        # transformers.pipelines itself), that import finishes the job
        import model.hf_pipeline  # noqa: F401
    except Exception as exc:  # a failure here must never break the user's transformers import
        warnings.warn(f"vn-gov-ner: the transformers pipeline could not be registered: {exc}", stacklevel=2)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the real loader of TARGET so registration follows its import."""

    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        exec_module = spec.loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            uninstall()
            register_now()

        spec.loader.exec_module = exec_then_register
        return spec


def install() -> None:
    if TARGET in sys.modules:
        register_now()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AfterImport)]
