"""Fill translations into a catalogue from a Python dict file: msgid (or (singular, plural))
→ msgstr (or a tuple of plural forms). Used after `make i18n-update` for new strings.

    python scripts/apply_translations.py locales/zh_Hans/LC_MESSAGES/messages.po /tmp/zh.py
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, table_path: str) -> None:
    tables = runpy.run_path(table_path)
    table = dict(tables["ZH"])
    # ZH_PLURAL: (singular, plural) → the one Chinese form.
    for key, text in tables.get("ZH_PLURAL", {}).items():
        table[key] = (text,)
    with open(po_path, "rb") as f:
        catalogue = read_po(f)
    for message in catalogue:
        if message.id and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            message.previous_id = []
    with open(po_path, "wb") as f:
        write_po(f, catalogue, width=0, omit_header=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
