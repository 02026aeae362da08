"""The tool's version, recorded in every form, manifest and output that names its maker."""

__version__ = "0.1.0"
