"""Build hook: compile the package's ``_speedups`` (Cython) into the wheel, or build pure and say so.

pgwire and pgtypes build with this same hook, one copy in each package, since each package's
sdist must build on its own (``tests/test_implementation.py`` keeps the copies identical); each
has one optional compiled module, ``<package>/_speedups.pyx``. Where Cython, setuptools or a
C compiler is missing the wheel is the pure-Python build (the reference implementation), and
the build output carries a warning saying so. ``<PACKAGE>_BUILD_PURE=1`` (``PGWIRE_BUILD_PURE``,
``PGTYPES_BUILD_PURE``) skips the compilation on purpose. An editable install (``uv``/``pip
install -e``, the hatch workspace) places the extension next to the sources, so the development
environment runs the compiled build too.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class SpeedupsBuildHook(BuildHookInterface):  # type: ignore[type-arg]  # hatchling's generic is untyped
    """Compiles the extension for wheel and editable builds."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile, then ship the extension (wheel) or place it in the sources (editable)."""
        if self.target_name != "wheel":
            return
        package = self.metadata.name
        switch = f"{package.upper()}_BUILD_PURE"
        if os.environ.get(switch):
            self._pure(package, f"{switch} is set")
            return
        root = Path(self.root)
        scratch = Path(tempfile.mkdtemp(prefix=f"{package}-build-"))
        try:
            built = _compile(root, package, scratch)
        except Exception as error:  # any failure to compile leaves the pure build, said loudly
            if version == "editable":
                # An extension built earlier would go on running in place of these sources.
                _remove_built(root / "src" / package)
            self._pure(package, f"{type(error).__name__}: {error}")
            shutil.rmtree(scratch, ignore_errors=True)
            return
        target = root / "src" / package / built.name
        if version == "editable":
            _remove_built(root / "src" / package)
            shutil.copy2(built, target)
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            # The wheel takes the file when it is assembled, after this hook: removed in finalize().
            build_data["force_include"][str(built)] = f"{package}/{built.name}"
            self._scratch = scratch
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the compilation's scratch directory once the wheel is written."""
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def _pure(self, package: str, reason: str) -> None:
        message = (
            f"{package}: building the pure-Python package without its compiled hot path ({reason}); "
            "install Cython, setuptools and a C compiler for the compiled build"
        )
        self.app.display_warning(message)
        warnings.warn(message, stacklevel=1)


def _remove_built(directory: Path) -> None:
    """Remove the compiled extension an earlier editable build placed in ``directory``."""
    for built in [*directory.glob("_speedups.*.so"), *directory.glob("_speedups.*.pyd")]:
        built.unlink()


def _compile(root: Path, package: str, scratch: Path) -> Path:
    """Cythonize and compile ``<package>._speedups`` in ``scratch``; return the built file."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    source = root / "src" / package / "_speedups.pyx"
    extension = Extension(f"{package}._speedups", [str(source)])
    modules = cythonize([extension], build_dir=str(scratch / "c"), quiet=True, force=True)
    distribution = Distribution({"ext_modules": modules, "name": package})
    command = build_ext(distribution)
    command.build_lib = str(scratch / "lib")
    command.build_temp = str(scratch / "temp")
    command.ensure_finalized()
    command.run()
    outputs = command.get_outputs()
    if not outputs:
        raise RuntimeError("build_ext produced no extension")
    built = Path(outputs[0])
    if not built.exists():
        raise RuntimeError(f"build_ext did not write {built}")
    print(f"{package}: compiled {built.name} ({sys.implementation.name})", file=sys.stderr)
    return built
