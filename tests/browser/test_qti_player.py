"""An independent QTI 3.0 player reads every item of our QTI export.

The player is Cito's ``@citolab/qti-components`` (web components that render QTI 3.0 items
in a browser, installed from npm by ``npm ci``; GPL-3.0, used here as a test tool only). Each
exported item is loaded into it in Chromium; the test checks the item's identifier, its
four choices and their text, the correct response the player read from
``qti-correct-response``, and that the player's own response processing scores exactly the
key as right.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from exam_engine.domain.formats import qti
from question_bank import load_bank
from tests.browser.conftest import _require
from tests.support.bundled import bundled_blueprint

PLAYER = (
    Path(__file__).resolve().parents[2]
    / "node_modules"
    / "@citolab"
    / "qti-components"
    / "cdn"
    / "index.global.js"
)
# Loads each item into an <item-container> and reads what the player made of it.
READ_ITEMS = """async (documents) => {
  const host = document.getElementById('host');
  const results = [];
  for (const xml of documents) {
    host.innerHTML = '<qti-item><item-container></item-container></qti-item>';
    const container = host.querySelector('item-container');
    await container.updateComplete;
    container.itemXML = xml;
    let item = null;
    for (let tries = 0; tries < 500 && item === null; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const found = (container.shadowRoot || container).querySelector('qti-assessment-item');
      if (found && found.variables.some((v) => v.identifier === 'RESPONSE')) item = found;
    }
    if (item === null) { results.push(null); continue; }
    const choices = [...item.querySelectorAll('qti-simple-choice')].map((choice) => {
      const copy = choice.cloneNode(true);
      copy.querySelectorAll('qti-feedback-inline').forEach((feedback) => feedback.remove());
      return [choice.getAttribute('identifier'), copy.textContent];
    });
    const scores = {};
    for (const [identifier] of choices) {
      item.updateResponseVariable('RESPONSE', identifier);
      item.processResponse();
      scores[identifier] = item.getOutcome('SCORE').value;
    }
    results.push({
      identifier: item.identifier,
      choices,
      correct: item.getResponse('RESPONSE').correctResponse,
      scores,
    });
  }
  return results;
}"""


def _flat(text: str) -> str:
    # The export writes a line break as <br/>, which textContent leaves out.
    return "".join(text.split())


@pytest.mark.whole_bank
def test_the_qti_player_reads_every_exported_item_with_choices_and_key(browser_page: Any) -> None:
    _require(PLAYER.exists(), f"the QTI player is not installed at {PLAYER} (run `npm ci`)")
    bank = load_bank()
    assert bank.ok
    package = qti.write(bank.items, bundled_blueprint())
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        documents = {
            item.key: archive.read(qti.item_path(item.key)).decode("utf-8") for item in bank.items
        }
    browser_page.set_default_timeout(600_000)
    browser_page.set_content("<!doctype html><html><body><div id='host'></div></body></html>")
    browser_page.add_script_tag(path=str(PLAYER))
    keys = sorted(documents)
    read = browser_page.evaluate(READ_ITEMS, [documents[key] for key in keys])
    by_key = {item.key: item for item in bank.items}
    assert len(read) == len(keys)
    for key, seen in zip(keys, read, strict=True):
        item = by_key[key]
        assert seen is not None, f"the player did not render {key}"
        assert seen["identifier"] == key
        assert [identifier for identifier, _text in seen["choices"]] == ["A", "B", "C", "D"]
        assert [_flat(text) for _id, text in seen["choices"]] == [
            _flat(option) for option in item.options
        ], key
        assert seen["correct"] == item.answer_label, key
        assert seen["scores"] == {
            label: "1" if label == item.answer_label else "0" for label in "ABCD"
        }, key
