"""Only what pyproject.toml cannot say: the command's launcher on Windows.

Elsewhere the command is the plain script bin/credential-process
([tool.setuptools] script-files): pip before 23.3 writes console_scripts
wrappers that import `re` at every start.  Windows cannot run that script
without an .exe launcher, which pip makes only for a console_scripts entry
point, so there (and only there: a wheel built here is for this platform's
installs) the command is that entry point as well.
"""
import sys

from setuptools import setup

WINDOWS_LAUNCHER = {"console_scripts": ["credential-process = credential_process.cli:main"]}

setup(entry_points=WINDOWS_LAUNCHER if sys.platform == "win32" else {})
