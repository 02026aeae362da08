"""The tool's version, recorded in every form, manifest and output that names its maker, and the libraries'."""

from functools import cache

__version__ = "0.1.0"


@cache
def library_version(name: str) -> str:
    """The installed version of the library ``name`` (what its ``__version__`` says), read from its
    distribution's metadata without importing it: cache keys name the libraries that read and write the bytes,
    and importing openpyxl to read its version would cost every command about a third of a second.

    Raises:
        importlib.metadata.PackageNotFoundError: ``name`` is not installed.
    """
    from importlib import metadata  # ~30 ms, only for the commands that key a cache

    return metadata.version(name)
