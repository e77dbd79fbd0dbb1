"""Form fields shared by the blueprints."""

from __future__ import annotations

from typing import Any

from wtforms import TextAreaField


class TextArea(TextAreaField):
    """A textarea whose line breaks are stored as "\\n".

    Browsers send every line break of a textarea as CR LF (HTML's form encoding), which would
    otherwise be stored as typed, count twice against length limits and reach exports.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the value with its line breaks made "\\n"."""
        super().process_formdata(
            [
                value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value
                for value in valuelist
            ]
        )
