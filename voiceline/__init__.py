"""voiceline: an accessible telephone and text-message information line for Twilio.

``create_app`` is the only way to get an app: settings come from the environment (or
``test_config``), the prompt files are loaded once, and each feature is a blueprint. The
package is layered (see the README's "Code layout"): importing a pure part, such as
``voiceline.text.gsm``, loads neither Flask nor the database libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, **parts: Any) -> Flask:
    """The line as a Flask app; see ``voiceline.web.app.create_app``. The operators'
    browser phone is the simulator's line (``voiceline.testing.simulator``)."""
    from .testing.simulator import browser_phone
    from .web.app import create_app as create

    parts.setdefault("phone", browser_phone)
    return create(test_config, **parts)
