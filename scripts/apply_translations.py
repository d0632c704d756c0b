"""Fill the fa and zh_Hans catalogues from a JSON file of translations, then compile them.

    python scripts/apply_translations.py done.json

The JSON maps each msgid to {"fa": text, "zh": text}, or for plural messages to
{"fa": [one, other], "zh": [other]}. Only empty or fuzzy entries are filled.
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"fa": "fa", "zh": "zh_Hans"}


def apply(translations: dict) -> dict[str, int]:
    filled = {}
    for key, language in LANGUAGES.items():
        path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        catalogue = polib.pofile(str(path))
        count = 0
        for entry in catalogue:
            wanted = translations.get(entry.msgid)
            needs = "fuzzy" in entry.flags or not (
                entry.msgstr or any(entry.msgstr_plural.values())
            )
            if wanted is None or not needs:
                continue
            text = wanted[key]
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(text))
            else:
                entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = None
            count += 1
        catalogue.save(str(path))
        filled[language] = count
    return filled


if __name__ == "__main__":
    print(apply(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
    subprocess.run(
        [sys.executable, "manage.py", "compilemessages", "--ignore=.venv"], cwd=ROOT, check=True
    )
