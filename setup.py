"""Build step: the wheel carries the shipped words (prompts/) as package data.

prompts/ stays at the top of the repository, where operators find it; a built wheel has
them as ``voiceline/default_prompts`` (see ``voiceline.settings.DEFAULT_PROMPTS``). An
editable install reads prompts/ in place, so nothing is copied for it. Everything else
is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PROMPTS = Path(__file__).resolve().parent / "prompts"
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*~")


class build_py_with_prompts(build_py):
    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):
            shutil.copytree(PROMPTS, Path(self.build_lib) / "voiceline" / "default_prompts",
                            ignore=LEFT_OUT, dirs_exist_ok=True)


setup(cmdclass={"build_py": build_py_with_prompts})
