"""Reading pages the way a browser would: the forms on a page, with their hidden fields. A
submit button outside its form (`form="id"`) with a `formaction` is read as a form of its own,
as a browser sends it: its owner form's fields, the button's name and value, to its action."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._select: str | None = None
        self._by_id: dict[str, Form] = {}
        # Buttons sending another form: (that form's id, their action, their name and value).
        self._outside: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(action=attributes.get("action", ""))
            self.forms.append(self._current)
            if attributes.get("id"):
                self._by_id[attributes["id"]] = self._current
        elif (
            tag == "button"
            and attributes.get("type", "submit") == "submit"
            and attributes.get("form")
            and "formaction" in attributes
        ):
            name = attributes.get("name")
            sent = {name: attributes.get("value", "")} if name else {}
            self._outside.append((attributes["form"], attributes["formaction"], sent))
        elif self._current is not None and tag == "select":
            self._select = attributes.get("name")
        elif self._current is not None and tag == "option" and self._select:
            # The selected option, or the first one, as a browser sends it.
            if "selected" in attributes or self._select not in self._current.fields:
                self._current.fields[self._select] = attributes.get("value", "")
        elif self._current is not None and tag in ("input", "button", "textarea"):
            name = attributes.get("name")
            kind = attributes.get("type", "")
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            if name and (tag != "button" or "value" in attributes):
                self._current.fields.setdefault(name, attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.text += data


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    sent_by_buttons = [
        Form(action=action, fields={**parser._by_id[owner].fields, **sent})
        for owner, action, sent in parser._outside
        if owner in parser._by_id
    ]
    return parser.forms + sent_by_buttons


def find_form(html: str, action: str, **having: str) -> Form:
    """The form posting to action whose hidden fields include every name=value in having."""
    for form in forms(html):
        if form.action == action and all(form.fields.get(k) == v for k, v in having.items()):
            return form
    raise AssertionError(f"no form to {action} with {having}")
