"""QTI 3.0 items in an IMS content package, both ways.

Export: a zip with ``imsmanifest.xml`` (IMS CP 1.2 for QTI 3.0, one ``imsqti_item_xmlv3p0``
resource an item with IEEE LOM metadata) and ``items/<key>.xml``, each a
``qti-assessment-item`` with one ``qti-choice-interaction`` (``max-choices="1"``), the key
in ``qti-correct-response``, each option's rationale in a ``qti-feedback-inline`` shown when
that option is chosen, and the references (if any) in a ``qti-modal-feedback`` shown after
any answer.

Metadata travels twice (see question_bank/README.md, "Interchange formats"):

- in the item, as an author-view ``qti-rubric-block`` of class ``aaism-metadata`` closing
  ``qti-item-body``: a ``dl`` naming ``key``, ``domain``, ``subdomain``, ``difficulty``,
  each ``enemy`` and the ``as-of`` date (YYYY-MM-DD, when the item's time-sensitive facts
  were last checked), see :mod:`~exam_engine.domain.formats.qti.own_meta` (QTI 3.0's schema
  allows no attributes of a writer's own on ``qti-item-body``; the ``data-aaism-*``
  attributes earlier exports carried there are still read); the item ``identifier`` is
  the key too;
- in the manifest, per resource, as LOM: ``general/identifier/entry`` (the key),
  ``educational/difficulty`` (LOM's easy / medium / difficult), ``classification`` with a
  ``taxonPath`` of domain then sub-domain, and a ``relation`` of kind ``references`` per
  reference. The item wins when the two disagree (with a warning).

Import reads such a zip (or one item's XML). XML is parsed with defusedxml and any DTD is
refused, so entity expansion (billion laughs) and external entities (XXE) never happen.
Items this engine wrote (with that rubric, or ``data-aaism-key``) are read verbatim; any
other item's XHTML is converted to Markdown. Items other than single-response four-option choice are
skipped with a warning.

Other tools' QTI 2.1 and 3.0 choice items are read by :func:`parse_foreign` into foreign
items (drafts to complete), see :mod:`exam_engine.domain.formats.qti.foreign`.
"""

from exam_engine.domain.formats._common import Parsed
from exam_engine.domain.formats.qti.foreign import parse_foreign
from exam_engine.domain.formats.qti.names import (
    CP_NS,
    ITEM_TYPE,
    LOM_DIFFICULTY,
    LOM_NS,
    MANIFEST,
    QTI_NS,
)
from exam_engine.domain.formats.qti.reader import parse, parse_xml
from exam_engine.domain.formats.qti.writer import item_path, item_xml, manifest_xml, write

__all__ = [
    "CP_NS",
    "ITEM_TYPE",
    "LOM_DIFFICULTY",
    "LOM_NS",
    "MANIFEST",
    "QTI_NS",
    "Parsed",
    "item_path",
    "item_xml",
    "manifest_xml",
    "parse",
    "parse_foreign",
    "parse_xml",
    "write",
]
